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
	}
	return r.String()
}

// Refusal says why a connection is turned away before it joins the room.
type Refusal uint8

const (
	RefusedFull       Refusal = iota + 1 // the room holds its maximum of members
	RefusedTooMany                       // too many connections from one address
	RefusedTooFast                       // too many new connections from one address
	RefusedShutdown                      // the server is stopping
	RefusedBanned                        // a ban on the key or the address
	RefusedPassword                      // a wrong room password
	RefusedNoPassword                    // the TCP door is closed: keys only, and no room password
)

// RefusalFor says which refusal a door shows for an error from Join.
func RefusalFor(err error) Refusal {
	var banned *BannedError
	switch {
	case errors.Is(err, ErrFull):
		return RefusedFull
	case errors.As(err, &banned):
		return RefusedBanned
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
	names := strings.Join(first, ", ")
	if rest := n - len(first); rest > 0 {
		return fmt.Sprintf(l.pick("%s and %d others joined", "%s et %d autres ont rejoint le salon"), names, rest)
	}
	if len(first) > 1 {
		names = strings.Join(first[:len(first)-1], ", ") + l.pick(" and ", " et ") + first[len(first)-1]
	}
	return fmt.Sprintf(l.pick("%s joined", "%s ont rejoint le salon"), names)
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
		return fmt.Sprintf(l.pick("%s joined (%s)", "%s a rejoint le salon (%s)"), m.From, m.Door)
	case KindLeave:
		if m.Others > 0 {
			return fmt.Sprintf(l.pick("%s and %d others left", "%s et %d autres sont partis"), m.From, m.Others)
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
		lines := []string{l.pick("Commands:", "Commandes :")}
		for _, c := range commands {
			help := c.help[l.orEN()]
			if c.op {
				help += l.pick(" (operators)", " (opérateurs)")
			}
			lines = append(lines, fmt.Sprintf("  %-30s %s", c.usage[l.orEN()], help))
		}
		lines = append(lines, fmt.Sprintf("  %-30s %s", l.pick("//text", "//texte"), l.pick("send text that starts with /", "envoyer un texte qui commence par /")))
		return strings.Join(lines, "\n")
	case KindShutdown:
		return l.pick("The server is shutting down. Goodbye!", "Le serveur s'arrête. Au revoir !")
	case KindError:
		return l.describeError(m)
	case KindKick:
		return fmt.Sprintf(l.pick("%s was kicked by %s", "%s a été exclu par %s"), m.To, m.From) + l.because(m.Text)
	case KindMute:
		return fmt.Sprintf(l.pick("%s was muted by %s", "%s a perdu la parole (par %s)"), m.To, m.From) + l.until(m.Until)
	case KindUnmute:
		return fmt.Sprintf(l.pick("%s may speak again (%s)", "%s peut de nouveau parler (%s)"), m.To, m.From)
	case KindBan:
		return fmt.Sprintf(l.pick("%s was banned by %s", "%s a été banni par %s"), m.To, m.From) + l.until(m.Until) + l.because(m.Text)
	case KindUnban:
		return fmt.Sprintf(l.pick("the ban on %s is lifted", "le bannissement de %s est levé"), m.Text)
	case KindTopic:
		switch {
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
		for _, b := range m.Bans {
			lines = append(lines, fmt.Sprintf("  %s (%s) %s%s%s", b.Target, b.Name, fmt.Sprintf(l.pick("by %s", "par %s"), b.By), l.until(b.Until), l.because(b.Reason)),
				"    "+l.banScope(b))
		}
		return strings.Join(lines, "\n")
	case KindBanScope:
		if len(m.Bans) == 0 {
			return ""
		}
		return l.banScope(m.Bans[0])
	case KindRelease:
		return fmt.Sprintf(l.pick("the name %s no longer belongs to a key", "le nom %s n'appartient plus à aucune clé"), m.Text)
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

func (l Lang) until(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf(l.pick(" until %s", " jusqu'à %s"), t.Local().Format("2006-01-02 15:04"))
}

func (l Lang) orEN() Lang {
	if l.fr() {
		return LangFR
	}
	return LangEN
}

func (l Lang) describeError(m Message) string {
	switch m.Err {
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
		return l.pick("you are muted: you can read but not post", "vous n'avez pas la parole : vous pouvez lire mais pas écrire") + l.until(m.Until)
	case ErrNameOwned:
		return fmt.Sprintf(l.pick("the name %s belongs to another member's key", "le nom %s appartient à la clé d'un autre membre"), m.Text)
	case ErrNoSuchBan:
		return fmt.Sprintf(l.pick("no ban on %s", "aucun bannissement pour %s"), m.Text)
	case ErrSelf:
		return fmt.Sprintf(l.pick("%s cannot aim at yourself", "%s ne peut pas vous viser vous-même"), m.Text)
	case ErrNameNotOwned:
		return fmt.Sprintf(l.pick("no key owns the name %s", "aucune clé ne possède le nom %s"), m.Text)
	}
	return fmt.Sprintf("error %d", m.Err)
}

// RefusalOf words the refusal a door shows for an error from Join: a
// banned member who comes back is told until when its ban holds.
func (l Lang) RefusalOf(err error) string {
	var banned *BannedError
	if errors.As(err, &banned) {
		return fmt.Sprintf(l.pick("You are banned from this room%s.", "Vous êtes banni de ce salon%s."), l.until(banned.Ban.Until))
	}
	return l.Refusal(RefusalFor(err))
}
