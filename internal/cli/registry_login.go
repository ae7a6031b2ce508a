package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/cli/cli/config/types"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newLoginCommand(c *Cli) *cobra.Command {
	var user, password string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use: "login [OPTIONS] [SERVER]", Short: "Authenticate to a registry", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			if password != "" {
				fmt.Fprintln(c.err, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
				if passwordStdin {
					return errors.New("--password and --password-stdin are mutually exclusive")
				}
			}
			if passwordStdin {
				if user == "" {
					return errors.New("Must provide --username with --password-stdin")
				}
				data, err := io.ReadAll(c.in)
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(data), "\r\n")
			}
			if user == "" || password == "" {
				// No terminal prompt: scripts give both (as docker does without a TTY).
				in := bufio.NewReader(c.in)
				if user == "" {
					fmt.Fprint(c.out, "Username: ")
					line, _ := in.ReadString('\n')
					user = strings.TrimSpace(line)
				}
				if password == "" {
					fmt.Fprint(c.out, "Password: ")
					line, _ := in.ReadString('\n')
					password = strings.TrimRight(line, "\r\n")
				}
				if user == "" || password == "" {
					return errors.New("Error: Cannot perform an interactive login from a non TTY device")
				}
			}
			key := serverKey(server)
			api, err := c.Client()
			if err != nil {
				return err
			}
			res, err := api.RegistryLogin(cmd.Context(), client.RegistryLoginOptions{Username: user, Password: password, ServerAddress: key})
			if err != nil {
				return err
			}
			cf := loadConfigFile(c.err)
			ac := types.AuthConfig{Username: user, Password: password, ServerAddress: key}
			if res.Auth.IdentityToken != "" {
				ac.Password, ac.IdentityToken = "", res.Auth.IdentityToken
			}
			if err := cf.GetCredentialsStore(key).Store(ac); err != nil {
				return fmt.Errorf("Error saving credentials: %w", err)
			}
			fmt.Fprintln(c.out, res.Auth.Status)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&user, "username", "u", "", "Username")
	f.StringVarP(&password, "password", "p", "", "Password or Personal Access Token (PAT)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "Take the Password or Personal Access Token (PAT) from stdin")
	return cmd
}

func newLogoutCommand(c *Cli) *cobra.Command {
	return &cobra.Command{
		Use: "logout [SERVER]", Short: "Log out from a registry", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := ""
			if len(args) == 1 {
				server = args[0]
			}
			key := serverKey(server)
			cf := loadConfigFile(c.err)
			if _, ok := cf.AuthConfigs[key]; !ok && cf.CredentialsStore == "" && cf.CredentialHelpers[key] == "" {
				fmt.Fprintf(c.out, "Not logged in to %s\n", key)
				return nil
			}
			fmt.Fprintf(c.out, "Removing login credentials for %s\n", key)
			if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
				fmt.Fprintf(c.err, "WARNING: could not erase credentials: %s: %v\n", key, err)
			}
			return nil
		},
	}
}

// registryCommands are pull, push, login and logout.
func registryCommands(c *Cli) []*cobra.Command {
	return []*cobra.Command{newPullCommand(c), newPushCommand(c), newLoginCommand(c), newLogoutCommand(c)}
}
