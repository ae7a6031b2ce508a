package cli

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

const defaultPsFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

var containerHeaders = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES", "Size": "SIZE",
	"Labels": "LABELS", "Mounts": "MOUNTS", "Networks": "NETWORKS", "State": "STATE",
	"LocalVolumes": "LOCAL VOLUMES", "Platform": "PLATFORM",
}

// containerRow is the formatter context of one container, with docker's field names.
type containerRow struct {
	c     container.Summary
	trunc bool
}

func (r *containerRow) ID() string {
	if r.trunc {
		return truncateID(r.c.ID)
	}
	return r.c.ID
}

func (r *containerRow) Names() string {
	var names []string
	for _, n := range r.c.Names {
		n = strings.TrimPrefix(n, "/")
		if r.trunc && strings.Contains(n, "/") {
			continue // links: docker shows only the primary name when truncating
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func (r *containerRow) Image() string {
	if r.c.Image == "" {
		return "<no image>"
	}
	if r.trunc {
		if t := truncateID(r.c.ImageID); t == truncateID(r.c.Image) {
			return t
		}
		if ref, err := reference.ParseNormalizedNamed(r.c.Image); err == nil {
			if nt, ok := ref.(reference.NamedTagged); ok {
				if tagged, err := reference.WithTag(reference.TrimNamed(nt), nt.Tag()); err == nil {
					return reference.FamiliarString(tagged)
				}
			} else {
				return reference.FamiliarString(reference.TrimNamed(ref))
			}
		}
	}
	return r.c.Image
}

func (r *containerRow) Command() string {
	cmd := r.c.Command
	if r.trunc {
		cmd = ellipsis(cmd, 20)
	}
	return strconv.Quote(cmd)
}

func (r *containerRow) CreatedAt() string {
	return time.Unix(r.c.Created, 0).String()
}

func (r *containerRow) RunningFor() string { return sinceUnix(r.c.Created) }
func (r *containerRow) Status() string     { return r.c.Status }
func (r *containerRow) State() string      { return string(r.c.State) }
func (r *containerRow) Ports() string      { return displayablePorts(r.c.Ports) }

func (r *containerRow) Size() string {
	s := humanSize(r.c.SizeRw)
	if r.c.SizeRootFs > 0 {
		s = fmt.Sprintf("%s (virtual %s)", s, humanSize(r.c.SizeRootFs))
	}
	return s
}

// Platform is the image platform the container runs (null in JSON when unknown, like docker).
func (r *containerRow) Platform() *platformValue {
	d := r.c.ImageManifestDescriptor
	if d == nil || d.Platform == nil {
		return nil
	}
	return &platformValue{*d.Platform}
}

func (r *containerRow) Labels() string { return joinLabels(r.c.Labels) }

func (r *containerRow) Label(name string) string { return r.c.Labels[name] }

func (r *containerRow) Mounts() string {
	var names []string
	for _, m := range r.c.Mounts {
		n := m.Name
		if n == "" {
			n = m.Source
		}
		if r.trunc {
			n = ellipsis(n, 15)
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

func (r *containerRow) LocalVolumes() string {
	n := 0
	for _, m := range r.c.Mounts {
		if m.Driver == "local" {
			n++
		}
	}
	return strconv.Itoa(n)
}

func (r *containerRow) Networks() string {
	if r.c.NetworkSettings == nil {
		return ""
	}
	var names []string
	for k := range r.c.NetworkSettings.Networks {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func joinLabels(labels map[string]string) string {
	if labels == nil {
		return ""
	}
	kv := make([]string, 0, len(labels))
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// displayablePorts renders ports like docker ps: ranges grouped, host mappings "ip:port->port/proto".
func displayablePorts(ports []container.PortSummary) string {
	sort.Slice(ports, func(i, j int) bool {
		if ports[i].PrivatePort != ports[j].PrivatePort {
			return ports[i].PrivatePort < ports[j].PrivatePort
		}
		if ports[i].IP != ports[j].IP {
			return ports[i].IP.String() < ports[j].IP.String()
		}
		return ports[i].Type < ports[j].Type
	})
	type group struct{ first, last uint16 }
	groups := map[string]*group{}
	var keys, result, hostMappings []string
	for _, p := range ports {
		key := "|" + p.Type
		if p.IP.IsValid() {
			if p.PublicPort != p.PrivatePort {
				hostMappings = append(hostMappings, fmt.Sprintf("%s->%d/%s",
					net.JoinHostPort(p.IP.String(), strconv.Itoa(int(p.PublicPort))), p.PrivatePort, p.Type))
				continue
			}
			key = p.IP.String() + "|" + p.Type
		}
		g := groups[key]
		if g == nil {
			groups[key] = &group{p.PrivatePort, p.PrivatePort}
			keys = append(keys, key)
			continue
		}
		if p.PrivatePort == g.last+1 {
			g.last = p.PrivatePort
			continue
		}
		result = append(result, formGroup(key, g.first, g.last))
		groups[key] = &group{p.PrivatePort, p.PrivatePort}
	}
	for _, k := range keys {
		g := groups[k]
		result = append(result, formGroup(k, g.first, g.last))
	}
	return strings.Join(append(result, hostMappings...), ", ")
}

func formGroup(key string, first, last uint16) string {
	ip, typ, _ := strings.Cut(key, "|")
	g := strconv.Itoa(int(first))
	if first != last {
		g = fmt.Sprintf("%s-%d", g, last)
	}
	if ip != "" {
		g = fmt.Sprintf("%s->%s", net.JoinHostPort(ip, g), g)
	}
	return g + "/" + typ
}

type psOptions struct {
	all, quiet, latest, size, noTrunc bool
	last                              int
	filters                           []string
	format                            string
}

func parseFilters(vals []string) (client.Filters, error) {
	f := client.Filters{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("bad format of filter (expected name=value)")
		}
		f.Add(strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val))
	}
	return f, nil
}

func newPsCommand(c *Cli) *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use: "ps [OPTIONS]", Short: "List containers", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPs(cmd, c, &o) },
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	f.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	f.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	f.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	f.VarP(newFilterValue(&o.filters), "filter", "f", "Filter output based on conditions provided")
	f.StringVar(&o.format, "format", "", "Format output using a custom template")
	return cmd
}

func runPs(cmd *cobra.Command, c *Cli, o *psOptions) error {
	filters, err := parseFilters(o.filters)
	if err != nil {
		return err
	}
	format := o.format
	if format == "" {
		format = defaultPsFormat
		if o.size {
			format += "\t{{.Size}}"
		}
	}
	if o.quiet && o.format == "" {
		format = "{{.ID}}"
	}
	opts := client.ContainerListOptions{All: o.all, Size: o.size || strings.Contains(format, ".Size"), Filters: filters, Limit: o.last}
	if o.latest {
		opts.Limit = 1
	}
	if opts.Limit > 0 {
		opts.All = true
	}
	if opts.Limit < 0 {
		opts.Limit = 0
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ContainerList(cmd.Context(), opts)
	if err != nil {
		return err
	}
	items := make([]any, 0, len(res.Items))
	for _, s := range res.Items {
		items = append(items, &containerRow{c: s, trunc: !o.noTrunc})
	}
	return writeFormatted(c.out, format, containerHeaders, items)
}
