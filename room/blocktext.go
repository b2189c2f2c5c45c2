package room

import "fmt"

// blockTooLong words ErrBlockTooLong: the block was refused whole, so the
// member knows that nothing of it was sent, and what would fit.
func (l Lang) blockTooLong(m Message) string {
	return fmt.Sprintf(l.pick("code block not sent: it is over %s bytes or %d lines; send it in parts",
		"bloc de code non envoyé : il dépasse %s octets ou %d lignes ; envoyez-le en plusieurs parties"), m.Text, m.Others)
}
