package room

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// PollBarWidth is the width of a full bar in a poll's result: a choice
// with 40% of the votes has 8 blocks.
const PollBarWidth = 20

// maxChoiceColumn bounds the column choices are padded to, so that one
// long choice does not push every bar off an 80-column line.
const maxChoiceColumn = 24

// PollBar is count's share of total as a bar of width blocks (its length
// in blocks, padded with spaces to width), and its percentage, rounded.
func PollBar(count, total, width int) (bar string, pct int) {
	full := 0
	if total > 0 {
		full = (count*width + total/2) / total
		pct = (count*100 + total/2) / total
	}
	return strings.Repeat("█", full) + strings.Repeat(" ", width-full), pct
}

// describePoll words the poll's events and replies.
func (l Lang) describePoll(m Message) string {
	switch m.Kind {
	case KindPoll:
		var b strings.Builder
		fmt.Fprintf(&b, l.pick("Poll by %s: %s", "Sondage de %s : %s"), m.From, m.Text)
		for i, c := range m.Rooms {
			fmt.Fprintf(&b, " %d. %s", i+1, c.Name)
		}
		b.WriteString(" — /vote N")
		return b.String()
	case KindPollTally:
		head := fmt.Sprintf(l.pick("Poll by %s, open: %s — %s", "Sondage de %s, ouvert : %s — %s"), m.From, m.Text, l.votes(m.Others))
		return head + "\n" + l.pollLines(m.Rooms, m.Others) + "\n" + l.pick("/vote N votes (or changes your vote) until the poll closes",
			"/vote N pour voter (ou changer de vote) jusqu'à la clôture")
	case KindVote:
		if m.To != "" {
			return fmt.Sprintf(l.pick("Your vote is now %s (it was %s)", "Votre vote est maintenant %s (c'était %s)"), m.Text, m.To)
		}
		return fmt.Sprintf(l.pick("Your vote: %s (/vote N changes it until the poll closes)",
			"Votre vote : %s (/vote N le change jusqu'à la clôture)"), m.Text)
	case KindPollResult:
		head := fmt.Sprintf(l.pick("Poll closed by %s: %s — %s", "Sondage clos par %s : %s — %s"), m.From, m.Text, l.votes(m.Others))
		if len(m.Rooms) == 0 {
			return head
		}
		return head + "\n" + l.pollLines(m.Rooms, m.Others)
	case KindBallot: // counted, never shown: a vote is secret
		return l.pick("a vote was counted", "un vote a été compté")
	}
	return ""
}

func (Lang) votes(n int) string {
	if n == 1 {
		return "1 vote" // the same word in French
	}
	return fmt.Sprintf("%d votes", n)
}

// pollLines is one line a choice: "2. Yes  ████████             12 (40%)",
// the choices padded to one column, the counts aligned.
func (l Lang) pollLines(choices []RoomInfo, total int) string {
	col, digits := 0, 1
	for _, c := range choices {
		col = max(col, min(utf8.RuneCountInString(c.Name), maxChoiceColumn))
		digits = max(digits, len(fmt.Sprint(c.Members)))
	}
	lines := make([]string, len(choices))
	for i, c := range choices {
		bar, pct := PollBar(c.Members, total, PollBarWidth)
		pad := max(0, col-utf8.RuneCountInString(c.Name))
		lines[i] = fmt.Sprintf("%d. %s%s  %s %*d (%d%%)", i+1, c.Name, strings.Repeat(" ", pad), bar, digits, c.Members, pct)
	}
	return strings.Join(lines, "\n")
}

// describePollError words the refusals about polls; "" for other errors.
func (l Lang) describePollError(m Message) string {
	switch m.Err {
	case ErrPollOpen:
		return fmt.Sprintf(l.pick("a poll is open in this room already (%s): /endpoll closes it first",
			"un sondage est déjà ouvert dans ce salon (%s) : /endpoll le clôt d'abord"), m.Text)
	case ErrNoPoll:
		return l.pick("no poll is open in this room", "aucun sondage n'est ouvert dans ce salon")
	case ErrPollClosed:
		return fmt.Sprintf(l.pick("the poll %q is closed; no poll is open in this room",
			"le sondage %q est clos ; aucun sondage n'est ouvert dans ce salon"), m.Text)
	case ErrBadVote:
		return fmt.Sprintf(l.pick("%q is no choice of this poll: /vote 1 to /vote %d",
			"%q n'est pas un choix de ce sondage : /vote 1 à /vote %d"), m.Text, m.Others)
	case ErrPollChoices:
		return fmt.Sprintf(l.pick("a poll takes %d to %d choices, and this one has %d: /poll QUESTION | CHOICE | CHOICE …",
			"un sondage prend de %d à %d choix, et celui-ci en a %d : /poll QUESTION | CHOIX | CHOIX …"), MinPollChoices, MaxPollChoices, m.Others)
	case ErrPollEmpty:
		if m.Others == 0 {
			return l.pick("the poll's question is empty: /poll QUESTION | CHOICE | CHOICE …",
				"la question du sondage est vide : /poll QUESTION | CHOIX | CHOIX …")
		}
		return fmt.Sprintf(l.pick("choice %d of the poll is empty: /poll QUESTION | CHOICE | CHOICE …",
			"le choix %d du sondage est vide : /poll QUESTION | CHOIX | CHOIX …"), m.Others)
	}
	return ""
}

// PollSummary words a poll's result on one line, counts and shares without
// bars, for a transcript: "Poll closed by prof: Lunch? — 29 votes: 1. pizza
// 10 (34%), 2. salad 9 (31%)".
func (l Lang) PollSummary(m Message) string {
	parts := make([]string, len(m.Rooms))
	for i, c := range m.Rooms {
		_, pct := PollBar(c.Members, m.Others, 0)
		parts[i] = fmt.Sprintf("%d. %s %d (%d%%)", i+1, c.Name, c.Members, pct)
	}
	head := fmt.Sprintf(l.pick("Poll closed by %s: %s — %s", "Sondage clos par %s : %s — %s"), m.From, m.Text, l.votes(m.Others))
	if len(parts) == 0 {
		return head
	}
	return head + l.pick(": ", " : ") + strings.Join(parts, ", ")
}
