package runtime

import "testing"

func TestDockerMessageRewritesCrun(t *testing.T) {
	got := DockerMessage("executable file `nope` not found in $PATH: No such file or directory")
	if got != `exec: "nope": executable file not found in $PATH` {
		t.Fatalf("got %q", got)
	}
	if StartFailureExitCode("executable file `nope` not found in $PATH: No such file or directory") != 127 {
		t.Fatal("crun's not-found message must map to 127")
	}
}
