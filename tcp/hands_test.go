package tcp_test

import (
	"testing"

	"palabre/room"
	"palabre/tcp"
)

// Raised hands and the question queue over the course's door: every
// command and refusal as a TCP member reads it, in both languages.
func TestHandsAndQuestionsOverTCP(t *testing.T) {
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			w := words(lang)
			ts := start(t, room.Options{OpPassword: opPassword}, func(s *tcp.Server) { s.Lang = lang })
			join := func() *client {
				t.Helper()
				return ts.enter(t)
			}
			op := join() // Thread-1
			op.send("/op " + opPassword + "\n")
			op.expectExactly("*** " + w.s("Thread-1 is now an operator", "Thread-1 est maintenant opérateur"))
			a := join() // Thread-2
			op.next()
			b := join() // Thread-3
			op.next()
			a.next()
			all := []*client{op, a, b}
			each := func(line string) {
				t.Helper()
				for _, c := range all {
					c.expectExactly(line)
				}
			}

			// Hands.
			b.send("/hand\n")
			each("*** " + w.s("Thread-3 raised a hand (1 in line)", "Thread-3 a levé la main (1 dans la file)"))
			a.send("/hand\n")
			each("*** " + w.s("Thread-2 raised a hand (2 in line)", "Thread-2 a levé la main (2 dans la file)"))
			a.send("/hands\n")
			a.expectExactly("*** " + w.s("2 hand(s) raised: 1. Thread-3, 2. Thread-2", "2 main(s) levée(s) : 1. Thread-3, 2. Thread-2"))
			a.send("/hand\n")
			each("*** " + w.s("Thread-2 lowered their hand", "Thread-2 a baissé la main"))
			a.send("/next\n")
			a.expectExactly("*** " + w.s("/next is for operators only", "/next est réservé aux opérateurs"))
			op.send("/next\n")
			each("*** " + w.s("Thread-3, you have the floor", "Thread-3, vous avez la parole"))
			op.send("/next\n")
			op.expectExactly("*** " + w.s("no hand is raised: /next has nobody to give the floor to", "aucune main n'est levée : /next n'a personne à qui donner la parole"))
			b.send("/hands\n")
			b.expectExactly("*** " + w.s("No hand is raised.", "Aucune main n'est levée."))

			// Questions, signed.
			a.send("/ask why?\n")
			each("*** Q1 Thread-2" + w.s(": ", " : ") + "why?")
			a.send("/up 1\n")
			a.expectExactly("*** " + w.s("Q1 is your own question: others upvote it", "Q1 est votre propre question : aux autres de la soutenir"))
			b.send("/up 1\n")
			b.expectExactly("*** " + w.s("you upvoted Q1 [1 vote(s)]: why?", "vous avez soutenu Q1 [1 vote(s)] : why?"))
			b.send("/up 1\n")
			b.expectExactly("*** " + w.s("you upvoted Q1 already", "vous avez déjà soutenu Q1"))
			for _, bad := range []string{"2", "0", "x"} {
				b.send("/up " + bad + "\n")
				b.expectExactly("*** " + w.s("no open question numbered "+bad+" in this room: /questions lists them",
					"aucune question ouverte n° "+bad+" dans ce salon : /questions les liste"))
			}
			b.send("/up\n")
			b.expectExactly("*** " + w.s("usage: /up N", "usage : /up N"))

			// Anonymous, by the operator's word: members read no author.
			// Every line a member reads is checked whole, in order: none
			// names the author that it does not expect.
			a.send("/anonymous on\n")
			a.expectExactly("*** " + w.s("/anonymous is for operators only", "/anonymous est réservé aux opérateurs"))
			op.send("/anonymous on\n")
			each("*** " + w.s("Thread-1 made this room's questions anonymous: only operators see who asks",
				"Thread-1 a rendu anonymes les questions de ce salon : seuls les opérateurs voient qui les pose"))
			b.send("/ask is it on the exam?\n")
			a.expectExactly("*** Q2 " + w.s("(anonymous): ", "(anonyme) : ") + "is it on the exam?")
			for _, c := range []*client{op, b} {
				c.expectExactly("*** Q2 Thread-3 " + w.s("(anonymous): ", "(anonyme) : ") + "is it on the exam?")
			}
			a.send("/up 2\n")
			a.expectExactly("*** " + w.s("you upvoted Q2 [1 vote(s)]: is it on the exam?", "vous avez soutenu Q2 [1 vote(s)] : is it on the exam?"))
			op.send("/up 2\n")
			op.next()
			a.send("/questions\n")
			a.expectExactly("*** " + w.s("2 open question(s), most upvoted first:", "2 question(s) ouverte(s), les plus soutenues d'abord :"))
			a.expectExactly("***   Q2 [2 vote(s)] " + w.s("(anonymous): ", "(anonyme) : ") + "is it on the exam?")
			a.expectExactly("***   Q1 [1 vote(s)] Thread-2" + w.s(": ", " : ") + "why?")
			a.expectExactly("*** " + w.s("/up N upvotes question N", "/up N soutient la question N"))
			op.send("/questions\n")
			op.next()
			op.expectExactly("***   Q2 [2 vote(s)] Thread-3 " + w.s("(anonymous): ", "(anonyme) : ") + "is it on the exam?")
			op.next()
			op.next()

			// Answers and dismissals: operators only, of open questions.
			a.send("/answer 2 yes\n")
			a.expectExactly("*** " + w.s("/answer is for operators only", "/answer est réservé aux opérateurs"))
			a.send("/dismiss 1\n")
			a.expectExactly("*** " + w.s("/dismiss is for operators only", "/dismiss est réservé aux opérateurs"))
			op.send("/answer 9 no\n")
			op.expectExactly("*** " + w.s("no open question numbered 9 in this room: /questions lists them",
				"aucune question ouverte n° 9 dans ce salon : /questions les liste"))
			op.send("/answer 2 yes, chapter 3\n")
			each("*** " + w.s("Thread-1 answered Q2 (is it on the exam?): yes, chapter 3", "Thread-1 a répondu à Q2 (is it on the exam?) : yes, chapter 3"))
			op.send("/dismiss 1\n")
			each("*** " + w.s("Thread-1 dismissed Q1 (why?)", "Thread-1 a écarté Q1 (why?)"))
			b.send("/questions\n")
			b.expectExactly("*** " + w.s("No open questions.", "Aucune question ouverte."))
			op.send("/dismiss 1\n")
			op.expectExactly("*** " + w.s("no open question numbered 1 in this room: /questions lists them",
				"aucune question ouverte n° 1 dans ce salon : /questions les liste"))

		})
	}
}
