package cli

import (
	"context"
	"errors"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newUpdateCommand(c *Cli) *cobra.Command {
	var (
		memory, memRes, memSwap, cpus, restart, cpusetCpus, cpusetMems  string
		cpuShares, cpuPeriod, cpuQuota, cpuRtPeriod, cpuRtRuntime, pids int64
		blkio                                                           uint16
	)
	cmd := &cobra.Command{
		Use: "update [OPTIONS] CONTAINER [CONTAINER...]", Short: "Update configuration of one or more containers", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().NFlag() == 0 {
				return errors.New("you must provide one or more flags when using this command")
			}
			var r container.Resources
			var err error
			if r.Memory, err = parseBytes("memory", memory); err != nil {
				return err
			}
			if r.MemoryReservation, err = parseBytes("memory-reservation", memRes); err != nil {
				return err
			}
			if r.MemorySwap, err = parseMemorySwap(memSwap); err != nil {
				return err
			}
			if r.NanoCPUs, err = parseCPUs(cpus); err != nil {
				return err
			}
			r.CPUShares, r.CPUPeriod, r.CPUQuota = cpuShares, cpuPeriod, cpuQuota
			r.CPURealtimePeriod, r.CPURealtimeRuntime = cpuRtPeriod, cpuRtRuntime
			r.CpusetCpus, r.CpusetMems, r.BlkioWeight = cpusetCpus, cpusetMems, blkio
			if cmd.Flags().Changed("pids-limit") {
				r.PidsLimit = &pids
			}
			opts := client.ContainerUpdateOptions{Resources: &r}
			if cmd.Flags().Changed("restart") {
				p, err := parseRestartPolicy(restart)
				if err != nil {
					return err
				}
				opts.RestartPolicy = &p
			}
			return forEach(cmd.Context(), c, args, true, func(ctx context.Context, api *client.Client, n string) error {
				res, err := api.ContainerUpdate(ctx, n, opts)
				for _, w := range res.Warnings {
					c.warn(w)
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&memory, "memory", "m", "", "Memory limit")
	f.StringVar(&memRes, "memory-reservation", "", "Memory soft limit")
	f.StringVar(&memSwap, "memory-swap", "", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	f.StringVar(&cpus, "cpus", "", "Number of CPUs")
	f.StringVar(&restart, "restart", "", "Restart policy to apply when a container exits")
	f.StringVar(&cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	f.StringVar(&cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	f.Int64VarP(&cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	f.Int64Var(&cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	f.Int64Var(&cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	f.Int64Var(&cpuRtPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	f.Int64Var(&cpuRtRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	f.Int64Var(&pids, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	f.Uint16Var(&blkio, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable")
	return cmd
}
