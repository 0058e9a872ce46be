package tui

import (
	"context"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/triagectl/triage/themes"
)

func startParts(t *testing.T, cmd tea.Cmd) (fetch, due tea.Cmd) {
	t.Helper()
	batch, ok := cmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("Start returned %T, want the fetch and the spinner's delay", batch)
	}
	return batch[0], batch[1]
}

// A load's spinner shows only after SpinnerDelay and stops with the load;
// a superseded load's answer and another load's messages are dropped.
func TestLoad(t *testing.T) {
	c := NewCommon(context.Background(), themes.Mono(), Data{})
	l := NewLoad(context.Background(), c)
	other := NewLoad(context.Background(), c)
	if l.Loading() || l.Spinner() != "" {
		t.Fatal("a new load is loading")
	}
	firstFetch, firstDue := startParts(t, l.Start(func() any { return "first" }))
	if !l.Loading() || l.Spinner() != "" {
		t.Fatal("a started load shows a spinner at once, or is not loading")
	}
	otherFetch, otherDue := startParts(t, other.Start(func() any { return "other" }))
	for _, m := range []tea.Msg{otherFetch(), otherDue()} {
		if _, ok, cmd := l.Update(m); ok || cmd != nil || l.Spinner() != "" {
			t.Fatalf("another load's %T was taken", m)
		}
	}
	_, ok, tick := l.Update(firstDue())
	if ok || tick == nil || l.Spinner() == "" {
		t.Fatal("the delay did not start the spinner")
	}
	frame := tick()
	if _, _, next := l.Update(frame); next == nil {
		t.Fatal("the spinner stopped while loading")
	}
	secondFetch, _ := startParts(t, l.Start(func() any { return "second" }))
	if _, ok, _ := l.Update(firstFetch()); ok || !l.Loading() {
		t.Fatal("a superseded answer was taken")
	}
	v, ok, _ := l.Update(secondFetch())
	if !ok || v != "second" || l.Loading() || l.Spinner() != "" {
		t.Fatalf("the current answer: %v %v, loading %v", v, ok, l.Loading())
	}
	if _, _, next := l.Update(tick()); next != nil {
		t.Error("the spinner still ticks after the load")
	}
}

// Next continues a stream within the same request; Stop drops what is
// still on its way.
func TestLoadStream(t *testing.T) {
	c := NewCommon(context.Background(), themes.Mono(), Data{})
	l := NewLoad(context.Background(), c)
	fetch, _ := startParts(t, l.Start(func() any { return 1 }))
	if v, ok, _ := l.Update(fetch()); !ok || v != 1 {
		t.Fatal("the first part was dropped")
	}
	more := l.Next(func() any { return 2 })
	if !l.Loading() {
		t.Fatal("Next does not wait for its part")
	}
	if v, ok, _ := l.Update(more()); !ok || v != 2 {
		t.Fatal("the next part was dropped")
	}
	late := l.Next(func() any { return 3 })
	l.Stop()
	if _, ok, _ := l.Update(late()); ok || l.Loading() {
		t.Fatal("a stopped load took a part")
	}
	if l.Next(func() any { return nil })() != nil {
		t.Fatal("a fetch returning nil (a closed stream) sent a message")
	}
}

// routedPage records the messages the app hands it.
type routedPage struct {
	got []string
}

type note struct {
	to   PageID
	text string
}

func (n note) RoutedTo() PageID { return n.to }

type news string

func (news) Broadcast() {}

type plain string

func (p *routedPage) Init() tea.Cmd { return nil }
func (p *routedPage) Update(msg tea.Msg) (Page, tea.Cmd) {
	switch m := msg.(type) {
	case note:
		p.got = append(p.got, "note:"+m.text)
	case news:
		p.got = append(p.got, "news:"+string(m))
	case plain:
		p.got = append(p.got, "plain:"+string(m))
	}
	return p, nil
}
func (p *routedPage) View() string              { return "" }
func (p *routedPage) SetSize(int, int)          {}
func (p *routedPage) ShortHelp() []key.Binding  { return nil }
func (p *routedPage) FullHelp() [][]key.Binding { return nil }
func (p *routedPage) Title() string             { return "page" }

// The app hands a routed result to the page that asked, wherever it is in
// the stack, and to no other; news to every page; anything else to the top
// page only. A popped page's results go nowhere.
func TestAppRoutes(t *testing.T) {
	c := NewCommon(context.Background(), themes.Mono(), Data{})
	var pages []*routedPage
	var ids []PageID
	push := func(ctx context.Context) Page {
		p := &routedPage{}
		pages = append(pages, p)
		ids = append(ids, PageIDFrom(ctx))
		return p
	}
	a := NewApp(c, push)
	a.Update(PushMsg{New: push})
	a.Update(PushMsg{New: push})
	if ids[0] == 0 || ids[0] == ids[1] || ids[1] == ids[2] {
		t.Fatalf("page ids %v", ids)
	}
	a.Update(note{to: ids[0], text: "for the root"})
	a.Update(news("all"))
	a.Update(plain("top"))
	a.Update(PopMsg{})
	a.Update(note{to: ids[2], text: "for a popped page"})
	want := []string{"note:for the root,news:all", ",news:all", ",news:all,plain:top"}
	for i, p := range pages {
		if got := "," + strings.Join(p.got, ","); strings.TrimPrefix(got, ",") != strings.TrimPrefix(want[i], ",") {
			t.Errorf("page %d got %q, want %q", i, p.got, want[i])
		}
	}
}
