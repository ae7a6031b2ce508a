package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type buildOptions struct {
	file, target, network, iidfile, progress, platform string
	tags, buildArgs, labels, secrets, ssh, cacheFrom   []string
	noCache, pull, quiet, rm, forceRm                  bool
}

func newBuildCommand(c *Cli) *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use: "build [OPTIONS] PATH | -", Short: "Build an image from a Dockerfile", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBuild(c, cmd, args[0], &o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "Name of the Dockerfile (default: \"PATH/Dockerfile\")")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, `Name and optionally a tag (format: "name:tag")`)
	f.StringArrayVar(&o.buildArgs, "build-arg", nil, "Set build-time variables")
	f.StringVar(&o.target, "target", "", "Set the target build stage to build")
	f.StringArrayVar(&o.labels, "label", nil, "Set metadata for an image")
	f.BoolVar(&o.noCache, "no-cache", false, "Do not use cache when building the image")
	f.BoolVar(&o.pull, "pull", false, "Always attempt to pull a newer version of the image")
	f.StringVar(&o.network, "network", "default", "Set the networking mode for the RUN instructions during build")
	f.StringArrayVar(&o.secrets, "secret", nil, `Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")`)
	f.StringArrayVar(&o.ssh, "ssh", nil, `SSH agent socket or keys to expose to the build`)
	f.StringVar(&o.iidfile, "iidfile", "", "Write the image ID to the file")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress the build output and print image ID on success")
	f.StringVar(&o.progress, "progress", "auto", `Set type of progress output ("auto", "plain", "tty", "quiet")`)
	f.StringArrayVar(&o.cacheFrom, "cache-from", nil, "Images to consider as cache sources")
	f.StringVar(&o.platform, "platform", "", "Set platform if server is multi-platform capable")
	f.BoolVar(&o.rm, "rm", true, "Remove intermediate containers after a successful build")
	f.BoolVar(&o.forceRm, "force-rm", false, "Always remove intermediate containers")
	return cmd
}

func runBuild(c *Cli, cmd *cobra.Command, contextArg string, o *buildOptions) error {
	switch o.progress {
	case "auto", "plain", "tty", "quiet":
	default:
		return fmt.Errorf("invalid progress mode %q: use auto, plain, tty or quiet", o.progress)
	}
	if o.progress == "quiet" {
		o.quiet = true
	}
	for _, t := range o.tags {
		if _, err := reference.ParseNormalizedNamed(t); err != nil {
			return fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: %v", t, err)
		}
	}
	secrets, err := readSecrets(o.secrets)
	if err != nil {
		return err
	}
	sshFwd, err := sshExtras(o.ssh, c.Host())
	if err != nil {
		return err
	}
	body, dockerfile, err := buildContextStream(c, contextArg, o.file, secrets, sshFwd...)
	if err != nil {
		return err
	}
	defer body.Close()
	opts := client.ImageBuildOptions{
		Tags: o.tags, SuppressOutput: o.quiet, NoCache: o.noCache, PullParent: o.pull, Remove: o.rm, ForceRemove: o.forceRm,
		NetworkMode: o.network, Dockerfile: dockerfile, BuildArgs: keyValuePtrs(o.buildArgs, true),
		Labels: keyValues(o.labels), CacheFrom: o.cacheFrom, Target: o.target, Version: "1",
		AuthConfigs: allAuthConfigs(c),
	}
	if p, err := parsePlatform(o.platform); err != nil {
		return err
	} else if p != nil {
		opts.Platforms = append(opts.Platforms, *p)
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	res, err := api.ImageBuild(cmd.Context(), body, opts)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	id, err := printBuildStream(c, res.Body, o.quiet)
	if err != nil {
		return err
	}
	if o.iidfile != "" && id != "" {
		if err := os.WriteFile(o.iidfile, []byte(id), 0o644); err != nil {
			return fmt.Errorf("failed to write image ID to file: %w", err)
		}
	}
	return nil
}

// printBuildStream prints the build's stream and returns the image ID
// from its aux message. -q prints only the ID.
func printBuildStream(c *Cli, r io.Reader, quiet bool) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", err
		}
		if m.Error != nil {
			return "", StatusError{Status: m.Error.Message, StatusCode: 1}
		}
		if m.Aux != nil {
			var aux struct{ ID string }
			if json.Unmarshal(*m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
			continue
		}
		if m.Stream != "" && !quiet {
			fmt.Fprint(c.out, m.Stream)
		}
	}
	if quiet && id != "" {
		fmt.Fprintln(c.out, id)
	}
	return id, nil
}

// keyValuePtrs parses KEY=VALUE flags; a bare KEY takes its value from the
// environment (and is dropped when unset), as docker does for --build-arg.
func keyValuePtrs(in []string, fromEnv bool) map[string]*string {
	out := map[string]*string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok && fromEnv {
			ev, set := os.LookupEnv(k)
			if !set {
				continue
			}
			v = ev
		}
		val := v
		out[k] = &val
	}
	return out
}

func keyValues(in []string) map[string]string {
	out := map[string]string{}
	for _, kv := range in {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// readSecrets reads --secret id=ID[,src=FILE|,env=VAR] values on the client.
func readSecrets(specs []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, spec := range specs {
		var id, src, env string
		for _, f := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(f, "=")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "id":
				id = v
			case "src", "source":
				src = v
			case "env":
				env = v
			case "type":
				if v != "file" && v != "env" {
					return nil, fmt.Errorf("unsupported secret type %q", v)
				}
			default:
				return nil, fmt.Errorf("unexpected key '%s' in '%s'", k, f)
			}
		}
		if id == "" {
			id = filepath.Base(src)
			if src == "" {
				id = env
			}
		}
		if id == "" || strings.ContainsAny(id, "/\\") || id == "." || id == ".." {
			return nil, fmt.Errorf("invalid secret id in %q", spec)
		}
		switch {
		case src != "":
			data, err := os.ReadFile(src)
			if err != nil {
				return nil, fmt.Errorf("failed to read secret %s: %w", id, err)
			}
			out[id] = data
		default:
			if env == "" {
				env = id
			}
			v, ok := os.LookupEnv(env)
			if !ok {
				return nil, fmt.Errorf("secret %s: environment variable %s is not set", id, env)
			}
			out[id] = []byte(v)
		}
	}
	return out, nil
}
