package buildcontext

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSSHForwardsAreTakenOutOfTheContext(t *testing.T) {
	c, err := Open(tarOf(t, map[string]string{
		"Dockerfile":                             "FROM scratch\n",
		SSHDir + "/deploy/" + SSHKeyPrefix + "0": "KEY-ZERO",
		SSHDir + "/deploy/" + SSHKeyPrefix + "1": "KEY-ONE",
		SSHDir + "/default/" + SSHSocketFile:     "/tmp/agent.sock\n",
	}), t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := os.Lstat(filepath.Join(c.Dir, SSHDir)); err == nil {
		t.Fatal("the ssh dir is still in the context")
	}
	if got := c.SSH["default"]; got.Socket != "/tmp/agent.sock" || len(got.Keys) != 0 {
		t.Fatalf("default = %+v", got)
	}
	if got := c.SSH["deploy"]; got.Socket != "" || len(got.Keys) != 2 || string(got.Keys[0]) != "KEY-ZERO" || string(got.Keys[1]) != "KEY-ONE" {
		t.Fatalf("deploy = %+v", got)
	}
	if _, err := os.Lstat(filepath.Join(c.tmp, "ssh")); err == nil {
		t.Fatal("the forwarded keys stay on disk")
	}
}
