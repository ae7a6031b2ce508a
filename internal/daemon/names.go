package daemon

import (
	"math/rand/v2"
	"strconv"
)

// A short list of our own: Docker's namesgenerator lives in a module we do
// not want to pull in for two word lists.
var (
	nameLeft = []string{"admiring", "brave", "calm", "clever", "dazzling", "eager", "elated", "focused",
		"gallant", "happy", "jolly", "keen", "lucid", "modest", "nifty", "optimistic", "peaceful",
		"quirky", "relaxed", "serene", "sharp", "stoic", "tender", "upbeat", "vibrant", "wizardly", "zealous"}
	nameRight = []string{"babbage", "bohr", "curie", "darwin", "einstein", "euler", "feynman", "galileo",
		"hopper", "hypatia", "kepler", "lamarr", "lovelace", "meitner", "newton", "noether", "pascal",
		"ritchie", "shannon", "thompson", "torvalds", "turing", "wozniak", "yalow", "zuse"}
)

// generateName picks a free "adjective_scientist" name, adding a number when
// the plain pairs are taken.
func (d *Daemon) generateName() string {
	for i := 0; ; i++ {
		n := nameLeft[rand.IntN(len(nameLeft))] + "_" + nameRight[rand.IntN(len(nameRight))]
		if i > 10 {
			n += strconv.Itoa(rand.IntN(10000))
		}
		if _, err := d.containers.Get("/" + n); err != nil {
			return n
		}
	}
}
