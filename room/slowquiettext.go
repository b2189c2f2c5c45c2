package room

import "fmt"

// describeSlowQuiet words the slow and quiet modes' events, and what a
// newcomer is told of them (no From).
func (l Lang) describeSlowQuiet(m Message) string {
	switch m.Kind {
	case KindSlow:
		every := m.Text
		if d, err := ParseDuration(m.Text); err == nil {
			every = l.span(d)
		}
		switch {
		case m.From == "":
			return fmt.Sprintf(l.pick("slow mode: each member posts at most once every %s", "mode lent : chacun écrit au plus une fois toutes les %s"), every)
		case m.Text == "":
			return fmt.Sprintf(l.pick("%s ended slow mode", "%s a mis fin au mode lent"), m.From)
		}
		return fmt.Sprintf(l.pick("%s set slow mode: each member posts at most once every %s",
			"%s a activé le mode lent : chacun écrit au plus une fois toutes les %s"), m.From, every)
	case KindQuiet:
		if m.From == "" {
			return l.quiet()
		}
		return fmt.Sprintf(l.pick("%s made the room quiet: only operators post; /ask and /hand still work",
			"%s a mis le salon en silence : seuls les opérateurs écrivent ; /ask et /hand fonctionnent toujours"), m.From)
	case KindOpen:
		return fmt.Sprintf(l.pick("%s opened the room: everyone may post again", "%s a rouvert le salon : tout le monde peut de nouveau écrire"), m.From)
	}
	return ""
}

func (l Lang) quiet() string {
	return l.pick("the room is quiet: only operators post; /ask and /hand still work",
		"le salon est en silence : seuls les opérateurs écrivent ; /ask et /hand fonctionnent toujours")
}

// describeSlowQuietError words what slow and quiet modes tell a member;
// "" for other errors.
func (l Lang) describeSlowQuietError(m Message) string {
	switch m.Err {
	case ErrSlowHeld:
		return fmt.Sprintf(l.pick("slow mode: your message will be sent in %s", "mode lent : votre message sera envoyé dans %s"), l.span(m.Until.Sub(m.At)))
	case ErrQuiet:
		return l.quiet() + l.pick(" (your message was not sent)", " (votre message n'a pas été envoyé)")
	case ErrSlowRange:
		return fmt.Sprintf(l.pick("slow mode takes a duration from 1s to 1h, or off (not %s)", "le mode lent prend une durée de 1s à 1h, ou off (pas %s)"), m.Text)
	}
	return ""
}
