package tcp_test

import (
	"strings"
	"testing"

	"palabre/room"
	"palabre/tcp"
)

// Every poll command and refusal over the course's protocol, in both
// languages, line for line: the operator is Thread-1, the member Thread-2.
func TestPollOverTCP(t *testing.T) {
	bars := func(n int) string { return strings.Repeat("█", n) + strings.Repeat(" ", 20-n) }
	type step struct {
		op     bool   // Thread-1 types it, else Thread-2
		line   string // typed
		en, fr []string
		both   bool // both read it, else only the one who typed
	}
	steps := []step{
		{line: "/poll", en: []string{"no poll is open in this room"}, fr: []string{"aucun sondage n'est ouvert dans ce salon"}},
		{line: "/vote 1", en: []string{"no poll is open in this room"}, fr: []string{"aucun sondage n'est ouvert dans ce salon"}},
		{op: true, line: "/endpoll", en: []string{"no poll is open in this room"}, fr: []string{"aucun sondage n'est ouvert dans ce salon"}},
		{line: "/poll Q | a | b", en: []string{"/poll is for operators only"}, fr: []string{"/poll est réservé aux opérateurs"}},
		{line: "/endpoll", en: []string{"/endpoll is for operators only"}, fr: []string{"/endpoll est réservé aux opérateurs"}},
		{op: true, line: "/poll Q | a",
			en: []string{"a poll takes 2 to 9 choices, and this one has 1: /poll QUESTION | CHOICE | CHOICE …"},
			fr: []string{"un sondage prend de 2 à 9 choix, et celui-ci en a 1 : /poll QUESTION | CHOIX | CHOIX …"}},
		{op: true, line: "/poll Q|1|2|3|4|5|6|7|8|9|10",
			en: []string{"a poll takes 2 to 9 choices, and this one has 10: /poll QUESTION | CHOICE | CHOICE …"},
			fr: []string{"un sondage prend de 2 à 9 choix, et celui-ci en a 10 : /poll QUESTION | CHOIX | CHOIX …"}},
		{op: true, line: "/poll Q | a |  | b",
			en: []string{"choice 2 of the poll is empty: /poll QUESTION | CHOICE | CHOICE …"},
			fr: []string{"le choix 2 du sondage est vide : /poll QUESTION | CHOIX | CHOIX …"}},
		{op: true, line: "/poll  | a | b",
			en: []string{"the poll's question is empty: /poll QUESTION | CHOICE | CHOICE …"},
			fr: []string{"la question du sondage est vide : /poll QUESTION | CHOIX | CHOIX …"}},
		{op: true, line: "/poll Lunch? | pizza | salad", both: true,
			en: []string{"Poll by Thread-1: Lunch? 1. pizza 2. salad — /vote N"},
			fr: []string{"Sondage de Thread-1 : Lunch? 1. pizza 2. salad — /vote N"}},
		{op: true, line: "/poll Other? | a | b",
			en: []string{"a poll is open in this room already (Lunch?): /endpoll closes it first"},
			fr: []string{"un sondage est déjà ouvert dans ce salon (Lunch?) : /endpoll le clôt d'abord"}},
		{line: "/vote 3", en: []string{`"3" is no choice of this poll: /vote 1 to /vote 2`}, fr: []string{`"3" n'est pas un choix de ce sondage : /vote 1 à /vote 2`}},
		{line: "/vote 2", en: []string{"Your vote: 2. salad (/vote N changes it until the poll closes)"},
			fr: []string{"Votre vote : 2. salad (/vote N le change jusqu'à la clôture)"}},
		{line: "/vote 1", en: []string{"Your vote is now 1. pizza (it was 2. salad)"},
			fr: []string{"Votre vote est maintenant 1. pizza (c'était 2. salad)"}},
		{line: "/poll",
			en: []string{"Poll by Thread-1, open: Lunch? — 1 vote", "1. pizza  " + bars(20) + " 1 (100%)", "2. salad  " + bars(0) + " 0 (0%)",
				"/vote N votes (or changes your vote) until the poll closes"},
			fr: []string{"Sondage de Thread-1, ouvert : Lunch? — 1 vote", "1. pizza  " + bars(20) + " 1 (100%)", "2. salad  " + bars(0) + " 0 (0%)",
				"/vote N pour voter (ou changer de vote) jusqu'à la clôture"}},
		{op: true, line: "/vote 2", en: []string{"Your vote: 2. salad (/vote N changes it until the poll closes)"},
			fr: []string{"Votre vote : 2. salad (/vote N le change jusqu'à la clôture)"}},
		{op: true, line: "/endpoll", both: true,
			en: []string{"Poll closed by Thread-1: Lunch? — 2 votes", "1. pizza  " + bars(10) + " 1 (50%)", "2. salad  " + bars(10) + " 1 (50%)"},
			fr: []string{"Sondage clos par Thread-1 : Lunch? — 2 votes", "1. pizza  " + bars(10) + " 1 (50%)", "2. salad  " + bars(10) + " 1 (50%)"}},
		{line: "/vote 1", en: []string{`the poll "Lunch?" is closed; no poll is open in this room`},
			fr: []string{`le sondage "Lunch?" est clos ; aucun sondage n'est ouvert dans ce salon`}},
		{op: true, line: "/endpoll", en: []string{`the poll "Lunch?" is closed; no poll is open in this room`},
			fr: []string{`le sondage "Lunch?" est clos ; aucun sondage n'est ouvert dans ce salon`}},
	}
	for _, lang := range []room.Lang{room.LangEN, room.LangFR} {
		t.Run(string(lang), func(t *testing.T) {
			ts := start(t, room.Options{OpPassword: "sesame"}, func(s *tcp.Server) { s.Lang = lang })
			join := func() *client {
				c := ts.dial(t)
				c.expect(lang.Greeting())
				c.expect(map[room.Lang]string{room.LangEN: "*** You are ", room.LangFR: "*** Vous êtes "}[lang])
				return c
			}
			op, member := join(), join()
			op.expect("*** Thread-2")
			op.send("/op sesame\n")
			op.expect("*** Thread-1")
			member.expect("*** Thread-1")
			for _, s := range steps {
				typist := member
				if s.op {
					typist = op
				}
				typist.send(s.line + "\n")
				want := s.en
				if lang == room.LangFR {
					want = s.fr
				}
				readers := []*client{typist}
				if s.both {
					readers = []*client{op, member}
				}
				for _, c := range readers {
					for _, w := range want {
						c.expectExactly("*** " + w)
					}
				}
			}
			// /help lists the commands, the operators' to them alone.
			member.send("/help\n")
			member.expect("***   /vote N ")
			op.send("/help\n")
			op.expect("***   /poll QUESTION | ")
			op.expect("***   /endpoll ")
		})
	}
}
