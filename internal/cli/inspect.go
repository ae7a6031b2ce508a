package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	format, kind string
	size         bool
}

func newInspectCommand(c *Cli) *cobra.Command {
	var o inspectOptions
	cmd := &cobra.Command{
		Use: "inspect [OPTIONS] NAME|ID [NAME|ID...]", Short: "Return low-level information on Docker objects", Args: requiresMinArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runInspect(cmd.Context(), c, &o, args) },
	}
	cmd.Flags().StringVarP(&o.format, "format", "f", "", "Format output using a custom template")
	cmd.Flags().StringVar(&o.kind, "type", "", "Only inspect objects of the given type")
	cmd.Flags().BoolVarP(&o.size, "size", "s", false, "Display total file sizes if the type is container")
	return cmd
}

func newContainerInspectCommand(c *Cli) *cobra.Command {
	cmd := newInspectCommand(c)
	cmd.Use, cmd.Short = "inspect [OPTIONS] CONTAINER [CONTAINER...]", "Display detailed information on one or more containers"
	cmd.Flags().Lookup("type").Value.Set("container")
	_ = cmd.Flags().MarkHidden("type")
	return cmd
}

func newImageInspectCommand(c *Cli) *cobra.Command {
	cmd := newInspectCommand(c)
	cmd.Use, cmd.Short = "inspect [OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images"
	cmd.Flags().Lookup("type").Value.Set("image")
	_ = cmd.Flags().MarkHidden("type")
	return cmd
}

func runInspect(ctx context.Context, c *Cli, o *inspectOptions, args []string) error {
	switch o.kind {
	case "", "container", "image":
	default:
		return fmt.Errorf("unknown type: %q: must be one of \"config\", \"container\", \"image\", \"network\", \"node\", \"plugin\", \"secret\", \"service\", \"task\", \"volume\"", o.kind)
	}
	api, err := c.Client()
	if err != nil {
		return err
	}
	return printInspected(c, o.format, args, func(name string) (json.RawMessage, error) {
		return inspectOne(ctx, api, o, name)
	})
}

// printInspected is every inspect command's output: the objects found,
// through --format, then the errors of those not found, one per line.
// Like docker, JSON output is printed even when nothing was found ("[]").
func printInspected(c *Cli, format string, names []string, get func(name string) (json.RawMessage, error)) error {
	var raws []json.RawMessage
	var errs []string
	for _, name := range names {
		raw, err := get(name)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		raws = append(raws, raw)
	}
	if err := executeInspectTemplate(c.out, format, raws); err != nil {
		return err
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

func inspectOne(ctx context.Context, api *client.Client, o *inspectOptions, name string) (json.RawMessage, error) {
	var ctrErr error
	if o.kind == "" || o.kind == "container" {
		res, err := api.ContainerInspect(ctx, name, client.ContainerInspectOptions{Size: o.size})
		if err == nil {
			return res.Raw, nil
		}
		ctrErr = err
		if o.kind == "container" {
			return nil, err
		}
	}
	buf := &bytes.Buffer{}
	if _, err := api.ImageInspect(ctx, name, client.ImageInspectWithRawResponse(buf)); err != nil {
		if o.kind == "image" {
			return nil, err
		}
		if ctrErr != nil && !strings.Contains(ctrErr.Error(), "No such container") {
			return nil, ctrErr
		}
		return nil, fmt.Errorf("Error: No such object: %s", name)
	}
	return json.RawMessage(buf.Bytes()), nil
}
