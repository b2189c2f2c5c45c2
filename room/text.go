package room

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Lang is the language of every string a member reads. The doors format
// chat lines themselves; the words of system events live here, once.
type Lang string

const (
	LangEN Lang = "en"
	LangFR Lang = "fr"
)

func (l *Lang) UnmarshalText(b []byte) error {
	switch v := Lang(strings.ToLower(string(b))); v {
	case LangEN, LangFR:
		*l = v
		return nil
	}
	return fmt.Errorf("unknown language %q (want en or fr)", b)
}

func (l Lang) fr() bool { return l == LangFR }

func (l Lang) pick(en, fr string) string {
	if l.fr() {
		return fr
	}
	return en
}

// Greeting is the first line a member reads; in French it is the course's own.
func (l Lang) Greeting() string {
	return l.pick("You are connected. Please send your messages.",
		"Vous êtes connectés. SVP, envoyez vos messages.")
}

// PasswordPrompt asks for the room password.
func (l Lang) PasswordPrompt() string {
	return l.pick("Password:", "Mot de passe :")
}

// TooManyWrongPasswords refuses to check a password: the address gave too
// many wrong ones lately, and may have one checked again in retry.
func (l Lang) TooManyWrongPasswords(retry time.Duration) string {
	return fmt.Sprintf(l.pick("Too many wrong passwords from your address; try again in %d s.",
		"Trop de mauvais mots de passe depuis votre adresse ; réessayez dans %d s."), max(1, int((retry+time.Second-1)/time.Second)))
}

// Welcome tells a newcomer its name and how many others are there.
func (l Lang) Welcome(name string, others int) string {
	return fmt.Sprintf(l.pick("You are %s; %d other(s) here. /help lists the commands.",
		"Vous êtes %s ; %d autre(s) ici. /help liste les commandes."), name, others)
}

// Reason words a leave reason.
func (l Lang) Reason(r Reason) string {
	if !l.fr() {
		return r.String()
	}
	switch r {
	case ReasonQuit:
		return "a quitté"
	case ReasonFIN:
		return "FIN"
	case ReasonClosed:
		return "connexion fermée"
	case ReasonLost:
		return "connexion perdue"
	case ReasonTooSlow:
		return "trop lent"
	case ReasonShutdown:
		return "arrêt du serveur"
	case ReasonTooLong:
		return "message trop long"
	case ReasonError:
		return "erreur du serveur"
	case ReasonKicked:
		return "exclu"
	case ReasonBanned:
		return "banni"
	case ReasonReset:
		return "connexion réinitialisée"
	case ReasonCrash:
		return "arrêt brutal du serveur"
	case ReasonMoved:
		return "parti dans un autre salon"
	case ReasonReplaced:
		return "reconnecté"
	}
	return r.String()
}

// Refusal says why a connection is turned away before it joins the room.
type Refusal uint8

const (
	RefusedFull        Refusal = iota + 1 // the room holds its maximum of members
	RefusedTooMany                        // too many connections from one address
	RefusedTooFast                        // too many new connections from one address
	RefusedShutdown                       // the server is stopping
	RefusedBanned                         // a ban on the key or the address
	RefusedPassword                       // a wrong room password
	RefusedNoPassword                     // the TCP door is closed: keys only, and no room password
	RefusedUnavailable                    // a cluster's node cut off from the others
)

// RefusalFor says which refusal a door shows for an error from Join.
func RefusalFor(err error) Refusal {
	var banned *BannedError
	switch {
	case errors.Is(err, ErrFull):
		return RefusedFull
	case errors.As(err, &banned):
		return RefusedBanned
	case errors.Is(err, ErrUnavailable):
		return RefusedUnavailable
	}
	return RefusedShutdown
}

// Refusal words a refusal: the one line a turned-away connection reads.
func (l Lang) Refusal(r Refusal) string {
	switch r {
	case RefusedFull:
		return l.pick("The room is full; try again later.", "Le salon est plein ; réessayez plus tard.")
	case RefusedTooMany:
		return l.pick("Too many connections from your address.", "Trop de connexions depuis votre adresse.")
	case RefusedTooFast:
		return l.pick("Too many new connections from your address; try again in a moment.",
			"Trop de nouvelles connexions depuis votre adresse ; réessayez dans un instant.")
	case RefusedBanned:
		return l.pick("You are banned from this room.", "Vous êtes banni de ce salon.")
	case RefusedPassword:
		return l.pick("Wrong password.", "Mauvais mot de passe.")
	case RefusedNoPassword:
		return l.pick("This room only takes SSH keys it knows.", "Ce salon n'accepte que les clés SSH qu'il connaît.")
	case RefusedUnavailable:
		return l.pick("The room is unavailable from this server for now; try again in a moment.",
			"Le salon est injoignable depuis ce serveur pour l'instant ; réessayez dans un instant.")
	}
	return l.Describe(Message{Kind: KindShutdown})
}

// NameProblem words why a name was refused.
func (l Lang) NameProblem(p NameProblem) string {
	switch p {
	case NameTooShort:
		return fmt.Sprintf(l.pick("at least %d characters", "au moins %d caractères"), MinNameLen)
	case NameTooLong:
		return fmt.Sprintf(l.pick("at most %d characters", "au plus %d caractères"), MaxNameLen)
	case NameBadChars:
		return l.pick("only ASCII letters, digits, _ and -", "seulement des lettres ASCII, des chiffres, _ et -")
	case NameReserved:
		return l.pick("this name is reserved", "ce nom est réservé")
	case NameGenerated:
		return l.pick("names such as Thread-3 and guest-7 are given by the server",
			"les noms comme Thread-3 et guest-7 sont donnés par le serveur")
	}
	return ""
}

// Joined says that several members joined, naming the first ones: a
// screen gathers a class arriving at once into one line.
func (l Lang) Joined(first []string, n int) string {
	if n <= 1 && len(first) == 1 {
		return fmt.Sprintf(l.pick("%s joined", "%s a rejoint le salon"), first[0])
	}
	return fmt.Sprintf(l.pick("%s joined", "%s ont rejoint le salon"), l.gathered(first, n))
}

// Left says that several members left, as Joined says they joined.
func (l Lang) Left(first []string, n int) string {
	if n <= 1 && len(first) == 1 {
		return fmt.Sprintf(l.pick("%s left", "%s est parti"), first[0])
	}
	return fmt.Sprintf(l.pick("%s left", "%s sont partis"), l.gathered(first, n))
}

// gathered names the first of n members: "ann, bea and cid", "ann, bea
// and 57 others", "ann and 1 other".
func (l Lang) gathered(first []string, n int) string {
	names := strings.Join(first, ", ")
	switch rest := n - len(first); {
	case rest == 1:
		return fmt.Sprintf(l.pick("%s and 1 other", "%s et 1 autre"), names)
	case rest > 1:
		return fmt.Sprintf(l.pick("%s and %d others", "%s et %d autres"), names, rest)
	case len(first) > 1:
		return strings.Join(first[:len(first)-1], ", ") + l.pick(" and ", " et ") + first[len(first)-1]
	}
	return names
}

// Describe words a system event or reply. Help and who may span lines,
// separated by "\n". Chat, action and private messages are formatted by
// the doors and get "".
func (l Lang) Describe(m Message) string {
	switch m.Kind {
	case KindJoin:
		if m.Others > 0 {
			return l.Joined([]string{m.From}, 1+m.Others)
		}
		if m.Text != "" {
			return fmt.Sprintf(l.pick("%s came from #%s (%s)", "%s arrive de #%s (%s)"), m.From, m.Text, m.Door)
		}
		return fmt.Sprintf(l.pick("%s joined (%s)", "%s a rejoint le salon (%s)"), m.From, m.Door)
	case KindLeave:
		if m.Others > 0 {
			return l.Left([]string{m.From}, 1+m.Others)
		}
		if m.Reason == ReasonMoved && m.Text != "" {
			return fmt.Sprintf(l.pick("%s went to #%s", "%s est parti dans #%s"), m.From, m.Text)
		}
		return fmt.Sprintf(l.pick("%s left (%s)", "%s est parti (%s)"), m.From, l.Reason(m.Reason))
	case KindNick:
		return fmt.Sprintf(l.pick("%s is now known as %s", "%s s'appelle désormais %s"), m.From, m.To)
	case KindWho:
		names := make([]string, len(m.Members))
		for i, mi := range m.Members {
			names[i] = fmt.Sprintf("%s (%s)", mi.Name, mi.Door)
			if mi.Op {
				names[i] = fmt.Sprintf("%s (%s, op)", mi.Name, mi.Door)
			}
		}
		return fmt.Sprintf(l.pick("%d member(s): %s", "%d membre(s) : %s"), len(m.Members), strings.Join(names, ", "))
	case KindHelp:
		return l.help(m.ForOp)
	case KindShutdown:
		return l.pick("The server is shutting down. Goodbye!", "Le serveur s'arrête. Au revoir !")
	case KindError:
		return l.describeError(m)
	case KindKick:
		return fmt.Sprintf(l.pick("%s was kicked by %s", "%s a été exclu par %s"), m.To, m.From) + l.because(m.Text)
	case KindMute:
		return fmt.Sprintf(l.pick("%s was muted by %s", "%s a perdu la parole (par %s)"), m.To, m.From) + l.until(m.Until, m.At)
	case KindUnmute:
		return fmt.Sprintf(l.pick("%s may speak again (%s)", "%s peut de nouveau parler (%s)"), m.To, m.From)
	case KindBan:
		return fmt.Sprintf(l.pick("%s was banned by %s", "%s a été banni par %s"), m.To, m.From) + l.until(m.Until, m.At) + l.because(m.Text)
	case KindUnban:
		if m.To != "" {
			return fmt.Sprintf(l.pick("the ban on %s (%s) is lifted", "le bannissement de %s (%s) est levé"), m.To, m.Text)
		}
		return fmt.Sprintf(l.pick("the ban on %s is lifted", "le bannissement de %s est levé"), m.Text)
	case KindTopic:
		switch {
		case m.Text == "" && m.From != "":
			return fmt.Sprintf(l.pick("%s cleared the topic", "%s a effacé le sujet"), m.From)
		case m.Text == "":
			return l.pick("No topic is set.", "Aucun sujet n'est défini.")
		case m.From == "":
			return fmt.Sprintf(l.pick("Topic: %s", "Sujet : %s"), m.Text)
		}
		return fmt.Sprintf(l.pick("%s set the topic: %s", "%s a changé le sujet : %s"), m.From, m.Text)
	case KindOp:
		return fmt.Sprintf(l.pick("%s is now an operator", "%s est maintenant opérateur"), m.From)
	case KindBans:
		if len(m.Bans) == 0 {
			return l.pick("No bans.", "Aucun bannissement.")
		}
		lines := []string{fmt.Sprintf(l.pick("%d ban(s):", "%d bannissement(s) :"), len(m.Bans))}
		for i, b := range m.Bans {
			who := b.Target
			if b.Name != "" {
				who = fmt.Sprintf("%s (%s)", b.Name, b.Target)
			}
			lines = append(lines, fmt.Sprintf("  %d. %s %s%s%s", i+1, who, fmt.Sprintf(l.pick("by %s", "par %s"), b.By), l.until(b.Until, m.At), l.because(b.Reason)),
				"    "+l.banScope(b))
		}
		lines = append(lines, l.pick("/unban N lifts ban N of this list; /unban NAME, /unban KEY|ADDRESS too",
			"/unban N lève le bannissement N de cette liste ; /unban NOM, /unban CLÉ|ADRESSE aussi"))
		return strings.Join(lines, "\n")
	case KindBanScope:
		if len(m.Bans) == 0 {
			return ""
		}
		return l.banScope(m.Bans[0])
	case KindRelease:
		return fmt.Sprintf(l.pick("the name %s no longer belongs to a key", "le nom %s n'appartient plus à aucune clé"), m.Text)
	case KindStart:
		return l.pick("server started", "serveur démarré")
	case KindStop:
		return l.pick("server stopped", "serveur arrêté")
	case KindCrash:
		return l.pick("server restarted after a crash", "serveur redémarré après un arrêt brutal")
	case KindMove, KindRooms, KindBreakout, KindGather:
		return l.describeRoom(m)
	case KindSlow, KindQuiet, KindOpen:
		return l.describeSlowQuiet(m)
	case KindPoll, KindPollTally, KindVote, KindPollResult, KindBallot:
		return l.describePoll(m)
	case KindHand, KindHands, KindFloor:
		return l.describeHand(m)
	case KindQuestion, KindQueue, KindUpvote, KindAnswer, KindDismiss, KindAnon:
		return l.describeQuestion(m)
	}
	return ""
}

// banScope says what a ban holds: its key, its network's newcomers
// without a key, or both.
func (l Lang) banScope(b Ban) string {
	switch {
	case b.OnAddress() && b.Exempt:
		return fmt.Sprintf(l.pick("the ban holds every newcomer without a key from %s, an exempt network: a whole class may be behind it",
			"le bannissement vise tout nouveau venu sans clé depuis %s, un réseau exempté : toute une classe peut s'y trouver"), b.Net)
	case b.OnAddress():
		return fmt.Sprintf(l.pick("the ban holds every newcomer without a key from %s",
			"le bannissement vise tout nouveau venu sans clé depuis %s"), b.Net)
	case b.Net == "":
		return l.pick("the ban holds the key only", "le bannissement ne vise que la clé")
	case b.Exempt:
		return fmt.Sprintf(l.pick("the ban holds the key only: %s is an exempt network (a class behind one address)",
			"le bannissement ne vise que la clé : %s est un réseau exempté (une classe derrière une seule adresse)"), b.Net)
	}
	return fmt.Sprintf(l.pick("the ban holds the key and every newcomer without a key from %s",
		"le bannissement vise la clé et tout nouveau venu sans clé depuis %s"), b.Net)
}

func (l Lang) because(reason string) string {
	if reason == "" {
		return ""
	}
	return fmt.Sprintf(l.pick(": %s", " : %s"), reason)
}

// until says when a mute or ban ends, as of at: "until lifted" without an
// end; the time in the server's time zone, with the date if it is not at's
// day, and how long that is from at: "until 10:42 (in 10 min)".
func (l Lang) until(t, at time.Time) string {
	if t.IsZero() {
		return l.pick(" until lifted", " jusqu'à nouvel ordre")
	}
	t, at = t.Local(), at.Local()
	layout := "15:04"
	if y, m, d := t.Date(); at.IsZero() || y != at.Year() || m != at.Month() || d != at.Day() {
		layout = "2006-01-02 15:04"
	}
	s := fmt.Sprintf(l.pick(" until %s", " jusqu'à %s"), t.Format(layout))
	if at.IsZero() || !t.After(at) {
		return s
	}
	return s + fmt.Sprintf(l.pick(" (in %s)", " (dans %s)"), l.span(t.Sub(at)))
}

// span words a positive duration for a person, to the minute (the second
// below one): 45 s, 10 min, 1 h 30 min, 2 h, 1 day 12 h, 3 days.
func (l Lang) span(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", max(1, int(d.Round(time.Second)/time.Second)))
	}
	mins := int((d + 30*time.Second) / time.Minute)
	if mins < 60 {
		return fmt.Sprintf("%d min", mins)
	}
	if mins < 24*60 {
		if mins%60 == 0 {
			return fmt.Sprintf("%d h", mins/60)
		}
		return fmt.Sprintf("%d h %d min", mins/60, mins%60)
	}
	hours := int((d + 30*time.Minute) / time.Hour)
	days := l.pick("%d days", "%d jours")
	if hours/24 == 1 {
		days = l.pick("%d day", "%d jour")
	}
	s := fmt.Sprintf(days, hours/24)
	if hours%24 != 0 {
		s += fmt.Sprintf(" %d h", hours%24)
	}
	return s
}

// help lists the commands; an operator's has theirs, under a heading of
// their own, with what a duration may be.
func (l Lang) help(forOp bool) string {
	row := func(usage, help string) string { return fmt.Sprintf("  %-30s %s", usage, help) }
	lang := l.orEN()
	lines := []string{l.pick("Commands:", "Commandes :")}
	for _, c := range commands {
		if !c.op {
			lines = append(lines, row(c.usage[lang], c.help[lang]))
		}
	}
	lines = append(lines, row(l.pick("//text", "//texte"), l.pick("send text that starts with /", "envoyer un texte qui commence par /")))
	if !forOp {
		return strings.Join(lines, "\n")
	}
	lines = append(lines, l.pick("For operators:", "Pour les opérateurs :"))
	for _, c := range commands {
		switch {
		case c.op:
			lines = append(lines, row(c.usage[lang], c.help[lang]))
		case c.opUsage != nil:
			lines = append(lines, row(c.opUsage[lang], c.opHelp[lang]))
		}
	}
	lines = append(lines, "  "+l.durations())
	return strings.Join(lines, "\n")
}

// durations says what a duration may be, and what none means.
func (l Lang) durations() string {
	return l.pick("a duration is 30s, 10m, 2h, 1d, 1w, 1h30m (or 10min, 2hours, 1day), at most 3650d; without one: until lifted",
		"une durée s'écrit 30s, 10m, 2h, 1j, 1w, 1h30m (ou 10min, 2heures, 1jour, 1semaine), 3650j au plus ; sans durée : jusqu'à nouvel ordre")
}

func (l Lang) orEN() Lang {
	if l.fr() {
		return LangFR
	}
	return LangEN
}

func (l Lang) describeError(m Message) string {
	switch m.Err {
	case ErrBlockTooLong:
		return l.blockTooLong(m)
	case ErrUnknownCommand:
		return fmt.Sprintf(l.pick("unknown command %s; /help lists the commands (// sends a leading /)",
			"commande inconnue %s ; /help liste les commandes (// envoie un / au début)"), m.Text)
	case ErrUsage:
		usage := m.Text
		if spec, ok := lookupCommand(strings.TrimPrefix(m.Text, "/")); ok {
			usage = spec.usage[l.orEN()]
		}
		return fmt.Sprintf(l.pick("usage: %s", "usage : %s"), usage)
	case ErrNoSuchMember:
		return fmt.Sprintf(l.pick("nobody called %s is here", "personne ne s'appelle %s ici"), m.Text)
	case ErrNameTaken:
		return fmt.Sprintf(l.pick("the name %s is taken", "le nom %s est déjà pris"), m.Text)
	case ErrNameInvalid:
		return fmt.Sprintf(l.pick("the name %q is refused: %s", "le nom %q est refusé : %s"), m.Text, l.NameProblem(m.Problem))
	case ErrMsgSelf:
		return l.pick("you cannot send a private message to yourself", "vous ne pouvez pas vous envoyer un message privé")
	case ErrNotOperator:
		return fmt.Sprintf(l.pick("%s is for operators only", "%s est réservé aux opérateurs"), m.Text)
	case ErrWrongPassword:
		return l.pick("wrong operator password", "mauvais mot de passe d'opérateur")
	case ErrNoOpPassword:
		return l.pick("there is no operator password on this server", "ce serveur n'a pas de mot de passe d'opérateur")
	case ErrMuted:
		return l.pick("you are muted: you can read but not post", "vous n'avez pas la parole : vous pouvez lire mais pas écrire") + l.until(m.Until, m.At)
	case ErrNameOwned:
		return fmt.Sprintf(l.pick("the name %s belongs to another member's key", "le nom %s appartient à la clé d'un autre membre"), m.Text)
	case ErrNoSuchBan:
		return fmt.Sprintf(l.pick("no ban on %s", "aucun bannissement pour %s"), m.Text)
	case ErrSelf:
		return fmt.Sprintf(l.pick("%s cannot aim at yourself", "%s ne peut pas vous viser vous-même"), m.Text)
	case ErrNameNotOwned:
		return fmt.Sprintf(l.pick("no key owns the name %s", "aucune clé ne possède le nom %s"), m.Text)
	case ErrBadDuration:
		return fmt.Sprintf(l.pick("%q is no duration, and nothing was done; ", "%q n'est pas une durée, et rien n'a été fait ; "), m.Text) + l.durations()
	case ErrNoBanNumbered:
		return fmt.Sprintf(l.pick("no ban numbered %s in the last /bans you were shown: /bans numbers them",
			"aucun bannissement n° %s dans la dernière liste /bans affichée : /bans les numérote"), m.Text)
	case ErrBanAmbiguous:
		return fmt.Sprintf(l.pick("several bans hold the name %s: /bans numbers them, /unban N lifts one",
			"plusieurs bannissements portent le nom %s : /bans les numérote, /unban N en lève un"), m.Text)
	case ErrNameCleaned:
		return fmt.Sprintf(l.pick("your name here is %s (names use ASCII letters, digits, _ and -)",
			"votre nom ici est %s (un nom n'a que des lettres ASCII, des chiffres, _ et -)"), m.Text)
	}
	if s := l.describeRoomError(m); s != "" {
		return s
	}
	if s := l.describeSlowQuietError(m); s != "" {
		return s
	}
	if s := l.describePollError(m); s != "" {
		return s
	}
	if s := l.describeHandError(m); s != "" {
		return s
	}
	if s := l.describeQuestionError(m); s != "" {
		return s
	}
	if s := l.describeClusterError(m); s != "" {
		return s
	}
	return fmt.Sprintf("error %d", m.Err)
}

// RefusalOf words the refusal a door shows for an error from Join: a
// banned member who comes back is told until when its ban holds.
func (l Lang) RefusalOf(err error) string {
	var banned *BannedError
	if errors.As(err, &banned) {
		return fmt.Sprintf(l.pick("You are banned from this room%s.", "Vous êtes banni de ce salon%s."), l.until(banned.Ban.Until, banned.At))
	}
	return l.Refusal(RefusalFor(err))
}

// EarlierMessages heads the history a newcomer is shown: the messages
// before it joined, from first on (its time; its date too when it is not
// of the day of now).
func (l Lang) EarlierMessages(first, now time.Time) string {
	first, now = first.Local(), now.Local()
	layout := "15:04"
	if y, m, d := first.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		layout = "2006-01-02 15:04"
	}
	return fmt.Sprintf(l.pick("earlier messages, since %s:", "messages précédents, depuis %s :"), first.Format(layout))
}

// NowLive follows the history a newcomer is shown: what comes next is live.
func (l Lang) NowLive() string {
	return l.pick("now live", "en direct")
}
