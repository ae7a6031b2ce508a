package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/berth-dev/berth/internal/buildinfo"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func systemTopLevelCommands(c *Cli) []*cobra.Command {
	return []*cobra.Command{newInfoCommand(c), newVersionCommand(c), newEventsCommand(c)}
}

func newSystemCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage Docker", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(newInfoCommand(c), newEventsCommand(c), newDfCommand(c), newSystemPruneCommand(c))
	return cmd
}

// formatValue renders v with a --format template ("json" prints it as JSON).
func formatValue(c *Cli, format string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if format == "json" {
		format = "{{json .}}"
	}
	return executeInspectTemplate(c.out, format, []json.RawMessage{b})
}

func newInfoCommand(c *Cli) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: "info [OPTIONS]", Short: "Display system-wide information", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.Info(cmd.Context(), client.InfoOptions{})
			if err != nil {
				return err
			}
			if format != "" {
				return formatValue(c, format, res.Info)
			}
			fmt.Fprintln(c.out, "Client:")
			fmt.Fprintf(c.out, " Version:    %s\n Context:    default\n Debug Mode: false\n\n", c.version)
			printServerInfo(c.out, res.Info)
			for _, w := range res.Info.Warnings {
				fmt.Fprintln(c.err, w)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return cmd
}

// versionInfo is what `version --format` sees: {{.Client.Version}}, {{.Server.Version}}.
type versionInfo struct {
	Client map[string]any
	Server *client.ServerVersionResult `json:",omitempty"`
}

func newVersionCommand(c *Cli) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: "version [OPTIONS]", Short: "Show the Docker version information", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := versionInfo{Client: map[string]any{
				"Platform": map[string]string{"Name": "berth"}, "Version": c.version, "GoVersion": runtime.Version(),
				"GitCommit": buildinfo.Commit(), "BuildTime": builtDisplay(buildinfo.Time()),
				"Os": runtime.GOOS, "Arch": runtime.GOARCH, "Context": "default",
			}}
			var srvErr error
			if api, err := c.Client(); err != nil {
				srvErr = err
			} else {
				if sv, err := api.ServerVersion(cmd.Context(), client.ServerVersionOptions{}); err != nil {
					srvErr = err
				} else {
					v.Server = &sv
				}
				v.Client["APIVersion"] = api.ClientVersion() // negotiated, or the client's own without a server
			}
			if format != "" {
				if err := formatValue(c, format, v); err != nil {
					return err
				}
				return srvErr
			}
			fmt.Fprintf(c.out, "Client:\n Version:           %s\n API version:       %v\n Go version:        %s\n Git commit:        %s\n Built:             %s\n OS/Arch:           %s/%s\n Context:           default\n",
				c.version, v.Client["APIVersion"], runtime.Version(), buildinfo.Commit(), builtDisplay(buildinfo.Time()), runtime.GOOS, runtime.GOARCH)
			if v.Server != nil {
				printServerVersion(c.out, v.Server)
			}
			return srvErr
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	return cmd
}

func newEventsCommand(c *Cli) *cobra.Command {
	var since, until, format string
	var filters []string
	cmd := &cobra.Command{
		Use: "events [OPTIONS]", Short: "Get real time events from the server", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res := api.Events(cmd.Context(), client.EventsListOptions{Since: since, Until: until, Filters: f})
			for {
				select {
				case m, ok := <-res.Messages:
					if !ok {
						return nil
					}
					if err := printEvent(c, format, m); err != nil {
						return err
					}
				case err := <-res.Err:
					// the stream ends with EOF when --until is reached
					if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
						return nil
					}
					return err
				}
			}
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "Show all events created since timestamp")
	cmd.Flags().StringVar(&until, "until", "", "Stream events until this timestamp")
	cmd.Flags().VarP(newFilterValue(&filters), "filter", "f", "Filter output based on conditions provided")
	cmd.Flags().StringVar(&format, "format", "", "Format output using a custom template")
	return cmd
}

// printEvent prints one event like docker: "2024-01-02T03:04:05.000000000Z container start ID (k=v, ...)".
func printEvent(c *Cli, format string, m events.Message) error {
	switch format {
	case "":
	case "json", "{{json .}}":
		// the API type in its own field order, as docker prints it
		return encodeJSONLine(c.out, m)
	default:
		tmpl, err := parseTemplate(normalizeFormat(format))
		if err != nil {
			return err
		}
		buf := &bytes.Buffer{}
		if err := tmpl.Execute(buf, eventContext{Message: m}); err != nil {
			return fmt.Errorf("template: %w", err)
		}
		buf.WriteString("\n")
		_, err = buf.WriteTo(c.out)
		return err
	}
	ts := time.Unix(0, m.TimeNano).Format("2006-01-02T15:04:05.000000000Z07:00")
	if m.TimeNano == 0 {
		ts = time.Unix(m.Time, 0).Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	fmt.Fprintf(c.out, "%s %s %s %s", ts, m.Type, m.Action, m.Actor.ID)
	if len(m.Actor.Attributes) > 0 {
		fmt.Fprintf(c.out, " (%s)", joinAttrs(m.Actor.Attributes))
	}
	fmt.Fprintln(c.out)
	return nil
}

// eventContext is what an events --format template sees: the message plus the legacy
// Status, ID and From fields that older templates use (empty when the daemon does not send them).
type eventContext struct {
	events.Message
	Status, ID, From string
}

func joinAttrs(attrs map[string]string) string {
	kv := make([]string, 0, len(attrs))
	for k, v := range attrs {
		kv = append(kv, k+"="+v)
	}
	sortStrings(kv)
	out := ""
	for i, s := range kv {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// builtDisplay is a BuildTime (RFC 3339) as the docker CLI
// prints it; anything else as it came.
func builtDisplay(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Format(time.ANSIC)
	}
	return s
}

// printServerVersion prints the Server section of `version` like docker: the Engine lines,
// then each other component with its version and details.
func printServerVersion(out io.Writer, s *client.ServerVersionResult) {
	fmt.Fprintf(out, "\nServer: %s\n", s.Platform.Name)
	for _, comp := range s.Components {
		d := comp.Details
		if comp.Name == "Engine" {
			fmt.Fprintf(out, " Engine:\n  Version:          %s\n  API version:      %s (minimum version %s)\n", comp.Version, d["ApiVersion"], d["MinAPIVersion"])
			fmt.Fprintf(out, "  Go version:       %s\n  Git commit:       %s\n  Built:            %s\n", d["GoVersion"], d["GitCommit"], builtDisplay(d["BuildTime"]))
			fmt.Fprintf(out, "  OS/Arch:          %s/%s\n  Experimental:     %s\n", d["Os"], d["Arch"], d["Experimental"])
			continue
		}
		fmt.Fprintf(out, " %s:\n  Version:          %s\n", comp.Name, comp.Version)
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			fmt.Fprintf(out, "  %-18s%s\n", k+":", d[k])
		}
	}
}
