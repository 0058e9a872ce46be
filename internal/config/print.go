package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Node is the config as a YAML document, as it would be written in the
// file: keys in declaration order, durations as "10s", empty values left
// out.
func (c Config) Node() *yaml.Node {
	node := toNode(reflect.ValueOf(c))
	if node == nil {
		node = &yaml.Node{Kind: yaml.MappingNode}
	}
	return node
}

// YAML renders the config as it would be written in the file (see Node).
func (c Config) YAML() ([]byte, error) {
	node := c.Node()
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return nil, err
	}
	_ = enc.Close()
	return []byte(b.String()), nil
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func toNode(v reflect.Value) *yaml.Node {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Type() == durationType {
		if v.Int() == 0 {
			return nil
		}
		return scalar(ShortDuration(time.Duration(v.Int())))
	}
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for i := range v.NumField() {
			tag := strings.Split(v.Type().Field(i).Tag.Get("mapstructure"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			if child := toNode(v.Field(i)); child != nil {
				n.Content = append(n.Content, scalar(tag), child)
			}
		}
		if len(n.Content) == 0 {
			return nil
		}
		return n
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			if child := toNode(v.MapIndex(k)); child != nil {
				n.Content = append(n.Content, scalar(k.String()), child)
			}
		}
		return n
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := range v.Len() {
			n.Content = append(n.Content, scalar(fmt.Sprint(v.Index(i).Interface())))
		}
		return n
	case reflect.String:
		if v.String() == "" {
			return nil
		}
		return scalar(v.String())
	case reflect.Bool:
		if !v.Bool() {
			return nil
		}
		return scalar("true")
	default:
		if v.IsZero() {
			return nil
		}
		return scalar(fmt.Sprint(v.Interface()))
	}
}

// ShortDuration prints 15m rather than 15m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ExpandHome turns a leading ~ into the home directory, as the config's
// defaults are written (~/.local/share/triage/…).
func ExpandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}
