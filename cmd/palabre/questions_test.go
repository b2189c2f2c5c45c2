package main

import (
	"strings"
	"testing"

	"palabre/internal/config"
)

// PALABRE_ANONYMOUS_QUESTIONS reaches the hub: members read a question
// without its author, the operator with it; and `palabre transcript`
// reads the lesson back, with who asked, raised a hand and voted.
func TestAnonymousQuestionsAndHandsInTheTranscript(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := config.Load(map[string]string{"PALABRE_MSG_RATE": "0", "PALABRE_ANONYMOUS_QUESTIONS": "true", "PALABRE_OP_PASSWORD": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	addr, stop := startServeIn(t, cfg)
	prof, alice, bob := joinTCP(t, addr), joinTCP(t, addr), joinTCP(t, addr)
	prof.send(t, "/op pw")
	prof.waitFor(t, "*** "+prof.name+" is now an operator")
	alice.send(t, "/ask why is the sky blue?")
	bob.waitFor(t, "*** Q1 (anonymous): why is the sky blue?")
	prof.waitFor(t, "*** Q1 "+alice.name+" (anonymous): why is the sky blue?")
	bob.send(t, "/up 1", "/hand")
	bob.waitFor(t, "*** "+bob.name+" raised a hand (1 in line)")
	prof.send(t, "/next", "/answer 1 Rayleigh scattering")
	bob.waitFor(t, "*** "+bob.name+", you have the floor")
	bob.waitFor(t, "*** "+prof.name+" answered Q1 (why is the sky blue?): Rayleigh scattering")
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}

	out, _, code := transcript(t, nil, "--data-dir", cfg.DataDir)
	if code != 0 {
		t.Fatalf("transcript exited %d", code)
	}
	for _, want := range []string{
		"*** Q1 " + alice.name + " (anonymous): why is the sky blue?", // the transcript keeps the author
		"*** " + bob.name + " upvoted Q1",
		"*** " + bob.name + " raised a hand (1 in line)",
		"*** " + bob.name + ", you have the floor",
		"*** " + prof.name + " answered Q1 (why is the sky blue?): Rayleigh scattering",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("the transcript lacks %q:\n%s", want, out)
		}
	}

	// The exports are for the class: the question, its answer, and not
	// who asked (alice says nothing else that an export keeps).
	for _, format := range []string{"markdown", "html"} {
		out, _, code := transcript(t, nil, "--data-dir", cfg.DataDir, "--format", format)
		if code != 0 {
			t.Fatalf("--format %s exited %d", format, code)
		}
		if !strings.Contains(out, "Q1") || !strings.Contains(out, "Rayleigh scattering") {
			t.Errorf("--format %s lacks the question or its answer:\n%s", format, out)
		}
		if strings.Contains(out, alice.name) || strings.Contains(out, mdEscape(alice.name)) || strings.Contains(out, "upvoted") || strings.Contains(out, "raised a hand") {
			t.Errorf("--format %s names the anonymous author, or keeps votes and hands:\n%s", format, out)
		}
	}
}
