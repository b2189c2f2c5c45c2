package room

import (
	"fmt"
	"strings"
	"time"
)

// describeSlowQuiet words the slow and quiet modes' events, and what a
// newcomer is told of them (no From).
func (l Lang) describeSlowQuiet(m Message) string {
	switch m.Kind {
	case KindSlow:
		every := m.Text
		if d, err := ParseDuration(m.Text); err == nil {
			every = exactSpan(d)
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
		return fmt.Sprintf(l.pick("slow mode: your message will be sent in %s", "mode lent : votre message sera envoyé dans %s"), exactSpan(m.Until.Sub(m.At)))
	case ErrQuiet:
		return l.quiet() + l.pick(" (your message was not sent)", " (votre message n'a pas été envoyé)")
	case ErrSlowRange:
		return fmt.Sprintf(l.pick("slow mode takes a duration from 1s to 1h, or off (not %s)", "le mode lent prend une durée de 1s à 1h, ou off (pas %s)"), m.Text)
	}
	return ""
}

// exactSpan words a wait of slow mode to the second, which span rounds to
// the minute past one: a member told "2 min" for 90 s would post too soon.
// Part of a second counts as a whole one. The words are the same in
// both languages: 30 s, 1 min 30 s, 1 h.
func exactSpan(d time.Duration) string {
	secs := max(1, int((d+time.Second-1)/time.Second))
	var parts []string
	for _, u := range []struct {
		n    int
		name string
	}{{secs / 3600, "h"}, {secs / 60 % 60, "min"}, {secs % 60, "s"}} {
		if u.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", u.n, u.name))
		}
	}
	return strings.Join(parts, " ")
}
