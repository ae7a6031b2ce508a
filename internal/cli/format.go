package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"
	"unicode"
)

// templateFuncs are the helper functions docker offers in --format templates.
var templateFuncs = template.FuncMap{
	"json": func(v any) string {
		buf := &bytes.Buffer{}
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(err)
		}
		return strings.TrimSpace(buf.String())
	},
	"split":    strings.Split,
	"join":     strings.Join,
	"title":    titleCase,
	"lower":    strings.ToLower,
	"upper":    strings.ToUpper,
	"pad":      padWithSpace,
	"truncate": truncateWithLength,
}

// headerFuncs replace the helpers when rendering a table header, so the header shows the
// column names untouched.
var headerFuncs = template.FuncMap{
	"json":     func(v string) string { return v },
	"split":    func(v, _ string) string { return v },
	"join":     func(v, _ string) string { return v },
	"title":    func(v string) string { return v },
	"lower":    func(v string) string { return v },
	"upper":    func(v string) string { return v },
	"truncate": func(v string, _ int) string { return v },
}

func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		defer func() { prev = r }()
		if unicode.IsSpace(prev) || prev == '-' || prev == '_' {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

func padWithSpace(source string, prefix, suffix int) string {
	if source == "" {
		return source
	}
	return strings.Repeat(" ", prefix) + source + strings.Repeat(" ", suffix)
}

func truncateWithLength(source string, length int) string {
	if len(source) < length {
		return source
	}
	return source[:length]
}

// parseTemplate parses a user --format template with docker's helper functions.
func parseTemplate(format string) (*template.Template, error) {
	tmpl, err := template.New("").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("template parsing error: %w", err)
	}
	return tmpl, nil
}

func isTableFormat(f string) bool { return strings.HasPrefix(f, "table") }

// normalizeFormat turns "table ..."/"json" into the template to execute per item.
func normalizeFormat(format string) string {
	switch {
	case isTableFormat(format):
		format = format[len("table"):]
	case format == "json":
		format = "{{json .}}"
	}
	format = strings.Trim(format, " ")
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
}

// writeFormatted renders items with a docker-style format: "table ...", "json" or a Go template.
// headers maps each field name of the item type to its column header.
func writeFormatted(out io.Writer, format string, headers map[string]string, items []any) error {
	if format == "json" {
		for _, it := range items {
			if err := encodeJSONLine(out, marshalMethods(it)); err != nil {
				return err
			}
		}
		return nil
	}
	text := normalizeFormat(format)
	tmpl, err := parseTemplate(text)
	if err != nil {
		return err
	}
	body := &bytes.Buffer{}
	for _, it := range items {
		if err := tmpl.Execute(body, it); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		body.WriteString("\n")
	}
	if !isTableFormat(format) {
		_, err := body.WriteTo(out)
		return err
	}
	tw := tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
	if htmpl, err := template.New("").Funcs(templateFuncs).Funcs(headerFuncs).Parse(text); err == nil {
		hdr := &bytes.Buffer{}
		_ = htmpl.Execute(hdr, headerContext(headers))
		hdr.WriteString("\n")
		_, _ = hdr.WriteTo(tw)
	}
	_, _ = body.WriteTo(tw)
	return tw.Flush()
}

// headerContext is what a table header renders: column names by field, and docker's header for
// {{.Label "name"}}, which is the label's last dotted part with "-" and "_" as spaces.
type headerContext map[string]string

func (headerContext) Label(name string) string {
	parts := strings.Split(name, ".")
	return strings.NewReplacer("-", " ", "_", " ").Replace(parts[len(parts)-1])
}

// marshalMethods turns a formatter context into a map of its exported no-argument string
// methods, like docker's JSON output for `--format json`.
func marshalMethods(x any) any {
	val := reflect.ValueOf(x)
	if val.Kind() != reflect.Ptr || val.Elem().Kind() != reflect.Struct {
		return x
	}
	typ := val.Type()
	m := map[string]any{}
	for i := 0; i < val.NumMethod(); i++ {
		meth := typ.Method(i)
		if meth.Type.NumIn() != 1 || meth.Type.NumOut() != 1 || strings.HasPrefix(meth.Name, "Marshal") {
			continue
		}
		m[meth.Name] = val.Method(i).Call(nil)[0].Interface()
	}
	return m
}

// executeInspectTemplate renders -f/--format for inspect-like commands on raw JSON values,
// so that templates see the same field names as the API.
func executeInspectTemplate(out io.Writer, format string, raws []json.RawMessage) error {
	if format == "" || format == "json" {
		return writeIndentedJSON(out, raws)
	}
	tmpl, err := parseTemplate(normalizeFormat(format))
	if err != nil {
		return err
	}
	for _, raw := range raws {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		buf := &bytes.Buffer{}
		if err := tmpl.Execute(buf, v); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		buf.WriteString("\n")
		if _, err := buf.WriteTo(out); err != nil {
			return err
		}
	}
	return nil
}

func writeIndentedJSON(out io.Writer, raws []json.RawMessage) error {
	items := make([]json.RawMessage, 0, len(raws))
	items = append(items, raws...)
	// docker does not escape <, > and & in inspect output.
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	return enc.Encode(items)
}

// encodeJSONLine writes v as one line of JSON; docker's --format json escapes <, > and &.
func encodeJSONLine(out io.Writer, v any) error {
	return json.NewEncoder(out).Encode(v)
}
