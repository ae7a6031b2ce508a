package cli

import (
	"bufio"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newLogsCommand(c *Cli) *cobra.Command {
	var o client.ContainerLogsOptions
	cmd := &cobra.Command{
		Use: "logs [OPTIONS] CONTAINER", Short: "Fetch the logs of a container", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			ins, err := api.ContainerInspect(cmd.Context(), args[0], client.ContainerInspectOptions{})
			if err != nil {
				return err
			}
			o.ShowStdout, o.ShowStderr = true, true
			rc, err := api.ContainerLogs(cmd.Context(), ins.Container.ID, o)
			if err != nil {
				return err
			}
			defer rc.Close()
			// A whole log going to a file or a pipe is written in large
			// blocks; on a terminal, or when following, each line goes out
			// as it comes (and stdout/stderr keep their interleaving).
			out, errOut := c.out, c.err
			if !o.Follow && !c.isTerminalOut() {
				bo, be := bufio.NewWriterSize(c.out, 64<<10), bufio.NewWriterSize(c.err, 64<<10)
				defer bo.Flush()
				defer be.Flush()
				out, errOut = bo, be
			}
			if ins.Container.Config != nil && ins.Container.Config.Tty {
				_, err = copyAll(out, rc)
			} else {
				_, err = stdcopy.StdCopy(out, errOut, rc)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.Follow, "follow", "f", false, "Follow log output")
	f.StringVar(&o.Since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.StringVar(&o.Until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	f.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Show timestamps")
	f.BoolVar(&o.Details, "details", false, "Show extra details provided to logs")
	f.StringVarP(&o.Tail, "tail", "n", "all", `Number of lines to show from the end of the logs`)
	return cmd
}
