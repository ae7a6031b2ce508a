package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

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
			i := res.Info
			p := func(k string, v any) { fmt.Fprintf(c.out, " %s: %v\n", k, v) }
			fmt.Fprintln(c.out, "Client:")
			fmt.Fprintf(c.out, " Version:    %s\n Context:    default\n\n", c.version)
			fmt.Fprintln(c.out, "Server:")
			p("Containers", i.Containers)
			fmt.Fprintf(c.out, "  Running: %d\n  Paused: %d\n  Stopped: %d\n", i.ContainersRunning, i.ContainersPaused, i.ContainersStopped)
			p("Images", i.Images)
			p("Server Version", i.ServerVersion)
			p("Storage Driver", i.Driver)
			p("Logging Driver", i.LoggingDriver)
			p("Cgroup Driver", i.CgroupDriver)
			p("Cgroup Version", i.CgroupVersion)
			p("Default Runtime", i.DefaultRuntime)
			p("Kernel Version", i.KernelVersion)
			p("Operating System", i.OperatingSystem)
			p("OSType", i.OSType)
			p("Architecture", i.Architecture)
			p("CPUs", i.NCPU)
			p("Total Memory", humanSize(i.MemTotal))
			p("Name", i.Name)
			p("ID", i.ID)
			p("Docker Root Dir", i.DockerRootDir)
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
				"Os": runtime.GOOS, "Arch": runtime.GOARCH, "Context": "default",
			}}
			var srvErr error
			if api, err := c.Client(); err != nil {
				srvErr = err
			} else if sv, err := api.ServerVersion(cmd.Context(), client.ServerVersionOptions{}); err != nil {
				srvErr = err
			} else {
				v.Server = &sv
				v.Client["APIVersion"] = api.ClientVersion()
			}
			if format != "" {
				if err := formatValue(c, format, v); err != nil {
					return err
				}
				return srvErr
			}
			fmt.Fprintf(c.out, "Client:\n Version:           %s\n API version:       %v\n Go version:        %s\n OS/Arch:           %s/%s\n Context:           default\n",
				c.version, v.Client["APIVersion"], runtime.Version(), runtime.GOOS, runtime.GOARCH)
			if v.Server != nil {
				s := v.Server
				fmt.Fprintf(c.out, "\nServer: %s\n Engine:\n  Version:          %s\n  API version:      %s (minimum version %s)\n  OS/Arch:          %s/%s\n",
					s.Platform.Name, s.Version, s.APIVersion, s.MinAPIVersion, s.Os, s.Arch)
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
					if err == nil || err == context.Canceled {
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
	if format != "" {
		return formatValue(c, format, m)
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
