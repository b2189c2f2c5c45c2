package room

import (
	"fmt"
	"strings"
)

// quotedQuestion bounds a question quoted in an answer or a dismissal: the
// whole of it was shown when it was asked.
const quotedQuestion = 80

// describeQuestion words the question queue's events and replies. A
// question's author is shown only when the message holds it: the hub
// leaves it out of what members may not see.
func (l Lang) describeQuestion(m Message) string {
	switch m.Kind {
	case KindQuestion:
		return fmt.Sprintf("Q%d %s%s", m.Others, l.asker(m.From, m.To == AnonymousQuestion), m.Text)
	case KindQueue:
		if len(m.Questions) == 0 {
			return l.pick("No open questions.", "Aucune question ouverte.")
		}
		lines := []string{fmt.Sprintf(l.pick("%d open question(s), most upvoted first:", "%d question(s) ouverte(s), les plus soutenues d'abord :"), len(m.Questions))}
		for _, q := range m.Questions {
			lines = append(lines, fmt.Sprintf("  Q%d %s %s%s", q.N, l.upvotes(q.Votes), l.asker(q.From, q.Anonymous), q.Text))
		}
		lines = append(lines, l.pick("/up N upvotes question N", "/up N soutient la question N"))
		return strings.Join(lines, "\n")
	case KindUpvote:
		if len(m.Questions) > 0 {
			return fmt.Sprintf(l.pick("you upvoted Q%d %s: %s", "vous avez soutenu Q%d %s : %s"), m.Others, l.upvotes(m.Questions[0].Votes), m.Text)
		}
		return fmt.Sprintf(l.pick("%s upvoted Q%d", "%s a soutenu Q%d"), m.From, m.Others)
	case KindAnswer:
		if m.Text == "" {
			return fmt.Sprintf(l.pick("%s marked Q%d answered (%s)", "%s a marqué Q%d comme répondue (%s)"), m.From, m.Others, Clip(m.To, quotedQuestion))
		}
		return fmt.Sprintf(l.pick("%s answered Q%d (%s): %s", "%s a répondu à Q%d (%s) : %s"), m.From, m.Others, Clip(m.To, quotedQuestion), m.Text)
	case KindDismiss:
		return fmt.Sprintf(l.pick("%s dismissed Q%d (%s)", "%s a écarté Q%d (%s)"), m.From, m.Others, Clip(m.To, quotedQuestion))
	case KindAnon:
		if m.Text == "on" {
			return fmt.Sprintf(l.pick("%s made this room's questions anonymous: only operators see who asks",
				"%s a rendu anonymes les questions de ce salon : seuls les opérateurs voient qui les pose"), m.From)
		}
		return fmt.Sprintf(l.pick("%s made this room's questions signed: everyone sees who asks",
			"%s a rendu signées les questions de ce salon : tout le monde voit qui les pose"), m.From)
	}
	return ""
}

// asker heads a question's text with its author, or says it has none to
// show; an operator reads that an author it sees asked anonymously.
func (l Lang) asker(from string, anonymous bool) string {
	switch {
	case from == "":
		return l.pick("(anonymous): ", "(anonyme) : ")
	case anonymous:
		return from + l.pick(" (anonymous): ", " (anonyme) : ")
	}
	return from + l.pick(": ", " : ")
}

func (l Lang) upvotes(n int) string {
	return fmt.Sprintf(l.pick("[%d vote(s)]", "[%d vote(s)]"), n)
}

func (l Lang) describeQuestionError(m Message) string {
	switch m.Err {
	case ErrNoQuestion:
		return fmt.Sprintf(l.pick("no open question numbered %s in this room: /questions lists them",
			"aucune question ouverte n° %s dans ce salon : /questions les liste"), m.Text)
	case ErrOwnQuestion:
		return fmt.Sprintf(l.pick("Q%s is your own question: others upvote it", "Q%s est votre propre question : aux autres de la soutenir"), m.Text)
	case ErrVotedAlready:
		return fmt.Sprintf(l.pick("you upvoted Q%s already", "vous avez déjà soutenu Q%s"), m.Text)
	case ErrQuestionsFull:
		return fmt.Sprintf(l.pick("this room has %d open questions already: ask again once some are answered",
			"ce salon a déjà %d questions ouvertes : redemandez quand certaines auront une réponse"), m.Others)
	}
	return ""
}
