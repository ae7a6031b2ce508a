package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

// newNetworkCommand is `berth network` with docker's subcommands.
func newNetworkCommand(c *Cli) *cobra.Command {
	cmd := &cobra.Command{Use: "network", Short: "Manage networks", Args: noArgs}
	cmd.AddCommand(newNetworkCreateCommand(c), newNetworkLsCommand(c), newNetworkInspectCommand(c),
		newNetworkRmCommand(c), newNetworkPruneCommand(c), newNetworkConnectCommand(c), newNetworkDisconnectCommand(c))
	return cmd
}

type networkCreateOptions struct {
	driver, ipamDriver          string
	subnets, gateways, ipRanges []string
	internal, attachable, ipv6  bool
	labels, opts                []string
}

func newNetworkCreateCommand(c *Cli) *cobra.Command {
	o := &networkCreateOptions{}
	cmd := &cobra.Command{
		Use: "create [OPTIONS] NETWORK", Short: "Create a network", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request()
			if err != nil {
				return err
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.NetworkCreate(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, res.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.driver, "driver", "d", "bridge", "Driver to manage the Network")
	f.StringVar(&o.ipamDriver, "ipam-driver", "default", "IP Address Management Driver")
	f.StringArrayVar(&o.subnets, "subnet", nil, "Subnet in CIDR format that represents a network segment")
	f.StringArrayVar(&o.gateways, "gateway", nil, "IPv4 or IPv6 Gateway for the master subnet")
	f.StringArrayVar(&o.ipRanges, "ip-range", nil, "Allocate container ip from a sub-range")
	f.BoolVar(&o.internal, "internal", false, "Restrict external access to the network")
	f.BoolVar(&o.attachable, "attachable", false, "Enable manual container attachment")
	f.BoolVar(&o.ipv6, "ipv6", false, "Enable or disable IPv6 networking")
	f.StringArrayVar(&o.labels, "label", nil, "Set metadata on a network")
	f.StringArrayVarP(&o.opts, "opt", "o", nil, "Set driver specific options")
	return cmd
}

// request pairs --gateway/--ip-range with the --subnet that holds them,
// as the docker CLI does.
func (o *networkCreateOptions) request() (client.NetworkCreateOptions, error) {
	req := client.NetworkCreateOptions{Driver: o.driver, Internal: o.internal, Attachable: o.attachable,
		Labels: keyValues(o.labels), Options: keyValues(o.opts)}
	if o.ipv6 {
		req.EnableIPv6 = &o.ipv6
	}
	ipam := &network.IPAM{Driver: o.ipamDriver}
	for _, s := range o.subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return req, fmt.Errorf("invalid subnet %s: %w", s, err)
		}
		ipam.Config = append(ipam.Config, network.IPAMConfig{Subnet: p})
	}
	for _, g := range o.gateways {
		a, err := netip.ParseAddr(g)
		if err != nil {
			return req, fmt.Errorf("invalid gateway %s", g)
		}
		i := subnetFor(ipam.Config, a)
		if i < 0 {
			return req, fmt.Errorf("no matching subnet for gateway %s", g)
		}
		ipam.Config[i].Gateway = a
	}
	for _, r := range o.ipRanges {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return req, fmt.Errorf("invalid ip-range %s: %w", r, err)
		}
		i := subnetFor(ipam.Config, p.Addr())
		if i < 0 {
			return req, fmt.Errorf("no matching subnet for range %s", r)
		}
		ipam.Config[i].IPRange = p
	}
	req.IPAM = ipam
	return req, nil
}

func subnetFor(cfgs []network.IPAMConfig, a netip.Addr) int {
	for i, c := range cfgs {
		if c.Subnet.Contains(a) {
			return i
		}
	}
	return -1
}

var networkHeaders = map[string]string{
	"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6",
	"Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT",
}

type networkRow struct {
	n     network.Summary
	trunc bool
}

func (r *networkRow) ID() string {
	if r.trunc {
		return truncateID(r.n.ID)
	}
	return r.n.ID
}
func (r *networkRow) Name() string             { return r.n.Name }
func (r *networkRow) Driver() string           { return r.n.Driver }
func (r *networkRow) Scope() string            { return r.n.Scope }
func (r *networkRow) IPv6() string             { return fmt.Sprint(r.n.EnableIPv6) }
func (r *networkRow) Internal() string         { return fmt.Sprint(r.n.Internal) }
func (r *networkRow) Labels() string           { return joinLabels(r.n.Labels) }
func (r *networkRow) Label(name string) string { return r.n.Labels[name] }
func (r *networkRow) CreatedAt() string        { return r.n.Created.Format("2006-01-02 15:04:05 -0700 MST") }
func (r *networkRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"ID": r.ID(), "Name": r.Name(), "Driver": r.Driver(), "Scope": r.Scope(),
		"IPv6": r.IPv6(), "Internal": r.Internal(), "Labels": r.Labels(), "CreatedAt": r.CreatedAt()})
}

func newNetworkLsCommand(c *Cli) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	var filters []string
	cmd := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List networks", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFilters(filters)
			if err != nil {
				return err
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.NetworkList(cmd.Context(), client.NetworkListOptions{Filters: f})
			if err != nil {
				return err
			}
			if quiet {
				for _, n := range res.Items {
					r := &networkRow{n: n, trunc: !noTrunc}
					fmt.Fprintln(c.out, r.ID())
				}
				return nil
			}
			if format == "" {
				format = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
			}
			items := make([]any, 0, len(res.Items))
			for _, n := range res.Items {
				items = append(items, &networkRow{n: n, trunc: !noTrunc})
			}
			return writeFormatted(c.out, format, networkHeaders, items)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "Only display network IDs")
	f.BoolVar(&noTrunc, "no-trunc", false, "Do not truncate the output")
	f.StringVar(&format, "format", "", "Format output using a custom template")
	f.VarP(newFilterValue(&filters), "filter", "f", `Provide filter values (e.g. "driver=bridge")`)
	return cmd
}

func newNetworkInspectCommand(c *Cli) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: "inspect [OPTIONS] NETWORK [NETWORK...]", Short: "Display detailed information on one or more networks",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			return printInspected(c, format, args, func(name string) (json.RawMessage, error) {
				res, err := api.NetworkInspect(cmd.Context(), name, client.NetworkInspectOptions{})
				return res.Raw, err
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Format output using a custom template")
	cmd.Flags().BoolP("verbose", "v", false, "Verbose output for diagnostics")
	return cmd
}

func newNetworkRmCommand(c *Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "rm NETWORK [NETWORK...]", Aliases: []string{"remove"}, Short: "Remove one or more networks",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			var errs []string
			for _, name := range args {
				if _, err := api.NetworkRemove(cmd.Context(), name, client.NetworkRemoveOptions{}); err != nil {
					if force && strings.Contains(err.Error(), "not found") {
						continue
					}
					errs = append(errs, err.Error())
					continue
				}
				fmt.Fprintln(c.out, name)
			}
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not error if the network does not exist")
	return cmd
}

func newNetworkPruneCommand(c *Cli) *cobra.Command {
	var force bool
	var filters []string
	cmd := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove all unused networks", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPrune(c, cmd, force, "WARNING! This will remove all custom networks not used by at least one container.", filters, "Deleted Networks:", false,
				func(ctx context.Context, api *client.Client, f client.Filters) ([]string, uint64, error) {
					res, err := api.NetworkPrune(ctx, client.NetworkPruneOptions{Filters: f})
					return res.Report.NetworksDeleted, 0, err
				})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(newFilterValue(&filters), "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func newNetworkConnectCommand(c *Cli) *cobra.Command {
	var aliases, links, linkLocal, driverOpts []string
	var ipv4, ipv6 string
	cmd := &cobra.Command{
		Use: "connect [OPTIONS] NETWORK CONTAINER", Short: "Connect a container to a network", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ep := &network.EndpointSettings{Aliases: aliases, Links: links, DriverOpts: keyValues(driverOpts)}
			if ipv4 != "" || ipv6 != "" || len(linkLocal) > 0 {
				ep.IPAMConfig = &network.EndpointIPAMConfig{}
				if ipv4 != "" {
					a, err := netip.ParseAddr(ipv4)
					if err != nil {
						return fmt.Errorf("invalid IPv4 address: %s", ipv4)
					}
					ep.IPAMConfig.IPv4Address = a
				}
				if ipv6 != "" {
					a, err := netip.ParseAddr(ipv6)
					if err != nil {
						return fmt.Errorf("invalid IPv6 address: %s", ipv6)
					}
					ep.IPAMConfig.IPv6Address = a
				}
			}
			api, err := c.Client()
			if err != nil {
				return err
			}
			_, err = api.NetworkConnect(cmd.Context(), args[0], client.NetworkConnectOptions{Container: args[1], EndpointConfig: ep})
			return err
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&aliases, "alias", nil, "Add network-scoped alias for the container")
	f.StringVar(&ipv4, "ip", "", "IPv4 address (e.g., \"172.30.100.104\")")
	f.StringVar(&ipv6, "ip6", "", "IPv6 address (e.g., \"2001:db8::33\")")
	f.StringArrayVar(&links, "link", nil, "Add link to another container")
	f.StringArrayVar(&linkLocal, "link-local-ip", nil, "Add a link-local address for the container")
	f.StringArrayVar(&driverOpts, "driver-opt", nil, "driver options for the network")
	return cmd
}

func newNetworkDisconnectCommand(c *Cli) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "disconnect [OPTIONS] NETWORK CONTAINER", Short: "Disconnect a container from a network", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.Client()
			if err != nil {
				return err
			}
			_, err = api.NetworkDisconnect(cmd.Context(), args[0], client.NetworkDisconnectOptions{Container: args[1], Force: force})
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Force the container to disconnect from a network")
	return cmd
}
