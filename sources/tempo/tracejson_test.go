package tempo

import (
	"strings"
	"testing"
)

func TestExtractTraceJSON(t *testing.T) {
	span := func(ids string) string {
		return `{"batches":[{"scopeSpans":[{"spans":[{` + ids + `,"name":"n"}]}]}]}`
	}
	tests := []struct {
		name, body string
		wantSpan   string // span id in hex; "" expects no spans
		wantTrace  string
		wantParent string
		wantErr    string
	}{
		{name: "base64", body: span(`"traceId":"PfpNudTj7xkC+8/WsphECA==","spanId":"UxtFKnr9hvg="`),
			wantTrace: errorTraceID, wantSpan: "531b452a7afd86f8"},
		{name: "hex, upper case", body: span(`"traceId":"3DFA4DB9D4E3EF1902FBCFD6B2984408","spanId":"531B452A7AFD86F8"`),
			wantTrace: errorTraceID, wantSpan: "531b452a7afd86f8"},
		{name: "escaped base64", body: span(`"traceId":"PfpNudTj7xkC+8\/WsphECA==","spanId":"UxtFKnr9hvg=","parentSpanId":"\u0055xtFKnr9hvg="`),
			wantTrace: errorTraceID, wantSpan: "531b452a7afd86f8", wantParent: "531b452a7afd86f8"},
		{name: "short trace id padded", body: span(`"traceId":"AQ==","spanId":"UxtFKnr9hvg="`),
			wantTrace: "00000000000000000000000000000001", wantSpan: "531b452a7afd86f8"},
		{name: "whitespace", body: "{ \"batches\" : [ { \"scopeSpans\" : [ { \"spans\" : [ { \"spanId\" : \"UxtFKnr9hvg=\" , \"traceId\" :\n\"PfpNudTj7xkC+8/WsphECA==\" } ] } ] } ] }\n",
			wantTrace: errorTraceID, wantSpan: "531b452a7afd86f8"},
		{name: "id-like attribute key is left alone", body: span(`"traceId":"PfpNudTj7xkC+8/WsphECA==","spanId":"UxtFKnr9hvg=","attributes":[{"key":"spanId","value":{"stringValue":"spanId"}}]`),
			wantTrace: errorTraceID, wantSpan: "531b452a7afd86f8"},
		{name: "v2 null trace", body: `{"trace":null,"metrics":{}}`},
		{name: "v2 empty trace", body: `{"trace":{},"metrics":{}}`},
		{name: "span id too long", body: span(`"spanId":"PfpNudTj7xkC+8/WsphECA=="`), wantErr: "spanId: id"},
		{name: "not base64", body: span(`"spanId":"%%%"`), wantErr: "neither base64 nor hex"},
		{name: "array at top", body: `[]`, wantErr: "not a JSON object"},
		{name: "trailing data", body: `{"trace":{}} x`, wantErr: "data after"},
		{name: "cut short", body: `{"batches":[{"scopeSpans":[`, wantErr: "unexpected end"},
		{name: "unterminated string", body: `{"message":"abc`, wantErr: "unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := DecodeTraceJSON([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			spans := flatten(tr.Traces)
			if tt.wantSpan == "" {
				if len(spans) != 0 {
					t.Fatalf("spans = %v", spans)
				}
				return
			}
			s, ok := spans[tt.wantSpan]
			if !ok || s.TraceID != tt.wantTrace || s.Parent != tt.wantParent {
				t.Fatalf("spans = %+v", spans)
			}
		})
	}
}

func TestExtractTraceJSONStatus(t *testing.T) {
	for _, body := range []string{
		`{"trace":{},"status":"PARTIAL","message":"Trace exceeds maximum size of 10 bytes, a partial trace is returned"}`,
		`{"status":1,"message":"Trace exceeds maximum size of 10 bytes, a partial trace is returned","trace":{}}`,
	} {
		tr, err := DecodeTraceJSON([]byte(body))
		if err != nil || !tr.Partial || !strings.HasPrefix(tr.Message, "Trace exceeds") {
			t.Errorf("%s: %+v, %v", body, tr, err)
		}
	}
}
