package room

import (
	"fmt"
	"strings"
	"testing"
)

func TestAskSigned(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{Store: store})
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]
	h.Post(alice, "/ask why is the sky blue?")
	h.Post(bob, "/ask and the sea?")
	for _, m := range ms {
		got := m.Drain(nil)
		if len(got) != 2 || got[0].Kind != KindQuestion || got[0].From != "alice" || got[0].Others != 1 ||
			got[0].Text != "why is the sky blue?" || got[1].From != "bob" || got[1].Others != 2 {
			t.Fatalf("%s saw\n%s", m.Name(), dump(got))
		}
		if s := LangEN.Describe(got[0]); s != "Q1 alice: why is the sky blue?" {
			t.Errorf("reads %q", s)
		}
	}
	h.Post(bob, "/ask")
	expect(t, bob, errMsg(ErrUsage, "/ask"))
	if n := count(store.kinds(), KindQuestion); n != 2 {
		t.Errorf("transcript holds %d questions; want 2", n)
	}
}

// hides reports whether nothing m received names author, in any field,
// nor carries its id or key.
func hides(t *testing.T, got []Message, author *Member) {
	t.Helper()
	for _, g := range got {
		s := fmt.Sprintf("%+v", g)
		if strings.Contains(s, author.Name()) || g.SenderID == author.ID() || (author.key != "" && strings.Contains(s, author.key)) {
			t.Fatalf("a member who is no operator learnt the author from %s", s)
		}
	}
}

func TestAskAnonymous(t *testing.T) {
	for _, tc := range []struct {
		name   string
		option bool
		on     string // an operator's command before the question
	}{
		{"by option", true, ""},
		{"by /anonymous on", false, "/anonymous on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newMemStore()
			h := newTestHub(t, Options{OpKeys: []string{"K"}, Store: store, AnonymousQuestions: tc.option})
			prof := joinAs(t, h, "prof", "K", "10.0.0.1:1")
			zelda := joinAs(t, h, "zelda", "SHA256:zelda", "10.0.0.2:1")
			ms := joinAll(t, h, "bob", "carol")
			bob := ms[0]
			prof.Drain(nil)
			zelda.Drain(nil)
			if tc.on != "" {
				h.Post(prof, tc.on)
				if got := lastOf(t, bob, KindAnon); got.Text != "on" {
					t.Fatalf("/anonymous on told %+v", got)
				}
				for _, m := range append(ms, zelda, prof) {
					m.Drain(nil)
				}
			}
			h.Post(zelda, "/ask is this on the exam?")
			h.Post(bob, "/ask me too")
			h.Post(bob, "/up 1")
			h.Post(bob, "/questions")
			h.Post(prof, "/answer 1 yes, chapter 3")
			h.Post(bob, "/questions")

			for _, m := range ms {
				got := m.Drain(nil)
				hides(t, got, zelda)
				q := got[0]
				if q.Kind != KindQuestion || q.From != "" || q.Text != "is this on the exam?" || q.Others != 1 || q.Seq == 0 {
					t.Fatalf("%s saw %+v", m.Name(), q)
				}
				if s := LangFR.Describe(q); s != "Q1 (anonyme) : is this on the exam?" {
					t.Errorf("reads %q", s)
				}
			}
			own := zelda.Drain(nil)[0] // the author sees itself, as the operator does
			if own.Kind != KindQuestion || own.From != "zelda" {
				t.Errorf("the author saw %+v", own)
			}
			got := prof.Drain(nil)
			if got[0].From != "zelda" || got[0].To != AnonymousQuestion {
				t.Fatalf("the operator saw %+v", got[0])
			}
			if s := LangEN.Describe(got[0]); s != "Q1 zelda (anonymous): is this on the exam?" {
				t.Errorf("the operator reads %q", s)
			}
			h.Post(prof, "/questions")
			if list := lastOf(t, prof, KindQueue).Questions; len(list) != 1 || list[0].From != "bob" {
				// zelda's was answered; bob's own is signed: anonymity holds for members' eyes only
				t.Fatalf("operator's /questions: %+v", list)
			}
			var recorded []Message
			for _, e := range store.events {
				if e.Kind == KindQuestion {
					recorded = append(recorded, e)
				}
			}
			if len(recorded) != 2 || recorded[0].From != "zelda" || recorded[0].Key != "SHA256:zelda" || recorded[0].To != AnonymousQuestion {
				t.Fatalf("the transcript keeps %s", dump(recorded))
			}
		})
	}
}

// The operator's /anonymous off signs the questions asked after it; those
// asked before keep the anonymity they were asked with.
func TestAnonymousOff(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}, AnonymousQuestions: true})
	prof := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "zelda", "bob")
	zelda, bob := ms[0], ms[1]
	h.Post(zelda, "/ask first")
	h.Post(bob, "/anonymous off")
	expect(t, bob, Message{Kind: KindQuestion, Others: 1, Text: "first", To: AnonymousQuestion}, errMsg(ErrNotOperator, "/anonymous"))
	h.Post(prof, "/anonymous maybe")
	if e := lastOf(t, prof, KindError); e.Err != ErrUsage {
		t.Fatalf("/anonymous maybe: %+v", e)
	}
	h.Post(prof, "/anonymous off")
	h.Post(zelda, "/ask second")
	h.Post(bob, "/questions")
	got := lastOf(t, bob, KindQueue).Questions
	if len(got) != 2 || got[0].From != "" || got[1].From != "zelda" {
		t.Fatalf("/questions: %+v", got)
	}
	// In another room, the server's setting holds.
	h.Post(zelda, "/join lab")
	h.Post(zelda, "/ask third")
	h.Post(prof, "/join lab")
	h.Post(prof, "/questions")
	if got := lastOf(t, prof, KindQueue).Questions; len(got) != 1 || got[0].Text != "third" || !got[0].Anonymous {
		t.Fatalf("lab's /questions: %+v", got)
	}
}

func TestUpvote(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{Store: store})
	alice := joinAs(t, h, "alice", "SHA256:a", "10.0.0.1:1")
	alice2 := joinAs(t, h, "alice", "SHA256:a", "10.0.0.1:2") // a second session of the same key
	ms := joinAll(t, h, "bob", "carol")
	bob, carol := ms[0], ms[1]
	h.Post(bob, "/ask one")
	h.Post(bob, "/ask two")
	for _, m := range []*Member{alice, alice2, bob, carol} {
		m.Drain(nil)
	}
	for _, tc := range []struct {
		who  *Member
		up   string
		want ErrorCode // 0: counted
	}{
		{bob, "1", ErrOwnQuestion},
		{alice, "2", 0},
		{alice, "2", ErrVotedAlready},
		{alice2, "2", ErrVotedAlready}, // one vote per key
		{carol, "2", 0},
		{carol, "1", 0},
		{carol, "x", ErrNoQuestion},
		{carol, "0", ErrNoQuestion},
		{carol, "-1", ErrNoQuestion},
		{carol, "3", ErrNoQuestion},
		{carol, "1 2", ErrUsage},
	} {
		h.Post(tc.who, "/up "+tc.up)
		got := tc.who.Drain(nil)
		if len(got) != 1 {
			t.Fatalf("%s /up %s: %s", tc.who.Name(), tc.up, dump(got))
		}
		switch {
		case tc.want == 0 && (got[0].Kind != KindUpvote || got[0].Seq == 0):
			t.Fatalf("%s /up %s: %s", tc.who.Name(), tc.up, dump(got))
		case tc.want != 0 && got[0].Err != tc.want:
			t.Fatalf("%s /up %s: %s; want error %d", tc.who.Name(), tc.up, dump(got), tc.want)
		}
	}
	for _, m := range []*Member{bob} {
		if got := m.Drain(nil); len(got) != 0 {
			t.Fatalf("an upvote was told to others: %s", dump(got))
		}
	}
	h.Post(bob, "/questions")
	list := lastOf(t, bob, KindQueue).Questions
	if len(list) != 2 || list[0].N != 2 || list[0].Votes != 2 || list[1].N != 1 || list[1].Votes != 1 {
		t.Fatalf("/questions by votes: %+v", list)
	}
	if s := LangEN.Describe(Message{Kind: KindQueue, Questions: list}); !strings.Contains(s, "Q2 [2 vote(s)] bob: two") {
		t.Errorf("/questions reads %q", s)
	}
	if n := count(store.kinds(), KindUpvote); n != 3 {
		t.Errorf("transcript holds %d upvotes; want 3", n)
	}
}

func TestUpvoteKeylessPerConnection(t *testing.T) {
	h := newTestHub(t, Options{})
	ms := joinAll(t, h, "alice", "bob", "bob")
	h.Post(ms[0], "/ask q")
	h.Post(ms[1], "/up 1")
	h.Post(ms[2], "/up 1")
	h.Post(ms[0], "/questions")
	if list := lastOf(t, ms[0], KindQueue).Questions; list[0].Votes != 2 {
		t.Fatalf("two keyless connections gave %d votes; want 2", list[0].Votes)
	}
}

func TestAnswerAndDismiss(t *testing.T) {
	store := newMemStore()
	h := newTestHub(t, Options{OpKeys: []string{"K"}, Store: store})
	prof := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]
	h.Post(alice, "/ask one")
	h.Post(alice, "/ask two")
	h.Post(alice, "/ask three")
	prof.Drain(nil)
	bob.Drain(nil)
	alice.Drain(nil)

	for _, cmd := range []string{"/answer 1", "/dismiss 1"} {
		h.Post(bob, cmd)
		expect(t, bob, errMsg(ErrNotOperator, strings.Fields(cmd)[0]))
	}
	for _, cmd := range []string{"/answer 9", "/answer x", "/dismiss 0", "/dismiss 1.5"} {
		h.Post(prof, cmd)
		if e := lastOf(t, prof, KindError); e.Err != ErrNoQuestion {
			t.Fatalf("%s: %+v", cmd, e)
		}
	}
	h.Post(prof, "/answer")
	if e := lastOf(t, prof, KindError); e.Err != ErrUsage {
		t.Fatalf("/answer: %+v", e)
	}
	h.Post(prof, "/answer 1 because of Rayleigh")
	h.Post(prof, "/answer 2")
	h.Post(prof, "/dismiss 3")
	got := bob.Drain(nil)
	want := []string{
		"prof answered Q1 (one): because of Rayleigh",
		"prof marked Q2 answered (two)",
		"prof dismissed Q3 (three)",
	}
	if len(got) != len(want) {
		t.Fatalf("bob saw %s", dump(got))
	}
	for i, w := range want {
		if s := LangEN.Describe(got[i]); s != w || got[i].Seq == 0 {
			t.Errorf("bob read %q; want %q", s, w)
		}
	}
	h.Post(bob, "/questions")
	if list := lastOf(t, bob, KindQueue).Questions; len(list) != 0 {
		t.Fatalf("closed questions are still open: %+v", list)
	}
	h.Post(bob, "/up 1")
	if e := lastOf(t, bob, KindError); e.Err != ErrNoQuestion {
		t.Fatalf("/up on an answered question: %+v", e)
	}
	h.Post(prof, "/answer 1 again")
	if e := lastOf(t, prof, KindError); e.Err != ErrNoQuestion {
		t.Fatalf("answering twice: %+v", e)
	}
	kinds := store.kinds()
	if count(kinds, KindAnswer) != 2 || count(kinds, KindDismiss) != 1 {
		t.Errorf("transcript: %v", kinds)
	}
}

func TestAskRefused(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}})
	prof := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "alice", "bob")
	alice, bob := ms[0], ms[1]
	h.Post(prof, "/mute bob")
	bob.Drain(nil)
	h.Post(bob, "/ask may I?")
	if e := lastOf(t, bob, KindError); e.Err != ErrMuted {
		t.Fatalf("a muted member's /ask: %+v", e)
	}
	for i := range maxQuestions {
		h.Post(alice, fmt.Sprintf("/ask q%d", i))
	}
	alice.Drain(nil)
	h.Post(alice, "/ask one too many")
	if e := lastOf(t, alice, KindError); e.Err != ErrQuestionsFull || e.Others != maxQuestions {
		t.Fatalf("past the bound: %+v", e)
	}
	h.Post(prof, "/dismiss 1")
	h.Post(alice, "/ask room again")
	if q := lastOf(t, alice, KindQuestion); q.Others != maxQuestions+1 {
		t.Fatalf("after a dismissal: %+v", q)
	}
}

// A screen's side panel asks for the first few open questions, as its
// member may see them.
func TestOpenQuestions(t *testing.T) {
	h := newTestHub(t, Options{OpKeys: []string{"K"}, AnonymousQuestions: true})
	prof := joinAs(t, h, "prof", "K", "10.0.0.1:1")
	ms := joinAll(t, h, "zelda", "bob", "carol")
	zelda, bob, carol := ms[0], ms[1], ms[2]
	if list, n := h.OpenQuestions(bob, 3); len(list) != 0 || n != 0 {
		t.Fatalf("before any question: %v, %d", list, n)
	}
	h.Post(zelda, "/ask one")
	h.Post(zelda, "/ask two")
	h.Post(zelda, "/ask three")
	h.Post(bob, "/up 3")
	h.Post(carol, "/up 3")
	h.Post(carol, "/up 2")
	list, n := h.OpenQuestions(bob, 2)
	if n != 3 || len(list) != 2 || list[0].N != 3 || list[1].N != 2 || list[0].From != "" || list[1].From != "" {
		t.Fatalf("a member's panel: %+v, %d", list, n)
	}
	if list, _ := h.OpenQuestions(prof, 5); len(list) != 3 || list[2].N != 1 || list[2].From != "zelda" {
		t.Fatalf("the operator's panel: %+v", list)
	}
}
