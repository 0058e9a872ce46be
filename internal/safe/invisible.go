package safe

import (
	"strings"
	"unicode"
)

// invisible reports the characters a terminal draws as nothing, or as a
// blank indistinguishable from none: every format character (category
// Cf: zero-width space and joiners, the soft hyphen, word joiner,
// invisible operators, tags), variation selectors, the combining grapheme
// joiner and the Hangul fillers. In text they make two different strings
// look the same (check\u200bout and checkout); each is escaped unless it
// is part of an emoji (see partOfEmoji).
func invisible(r rune) bool {
	switch {
	case r < 0xad:
		return false
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r),
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		// Other_Default_Ignorable holds the combining grapheme joiner,
		// the Hangul fillers, the Khmer inherent vowels and the
		// reserved default-ignorable ranges.
		return true
	}
	return false
}

// Runes that emoji sequences are built with.
const (
	zwj          = 0x200d
	vs15, vs16   = 0xfe0e, 0xfe0f
	tagFirst     = 0xe0020
	tagLast      = 0xe007f
	keycapMarker = 0x20e3
)

// partOfEmoji reports whether the invisible rune r at byte j of the
// grapheme cluster cl (whose first rune is base) is part of an emoji
// sequence, and so kept:
//   - a zero-width joiner between two pictographs (👩‍💻, 🏳️‍🌈): the
//     segmenter only joins a ZWJ to what follows when both sides are
//     pictographic (rule GB11); between letters it is escaped;
//   - a variation selector 15 or 16 after a symbol (❤️), or after the
//     digit, # or * of a keycap (1️⃣);
//   - tag characters after a pictograph (the flags of England, Scotland
//     and Wales);
//   - an ideographic variation selector after a Han character.
func partOfEmoji(cl string, j int, base, r rune) bool {
	switch {
	case r == zwj:
		prev, next := neighbours(cl, j)
		return pictographic(prev) && pictographic(next)
	case r == vs15 || r == vs16:
		return j > 0 && (pictographic(base) || (keycapBase(base) && strings.ContainsRune(cl, keycapMarker)) ||
			(base >= 0x80 && (unicode.IsSymbol(base) || unicode.IsPunct(base))))
	case r >= tagFirst && r <= tagLast:
		return j > 0 && pictographic(base)
	case r >= 0xe0100 && r <= 0xe01ef:
		return j > 0 && unicode.Is(unicode.Han, base)
	}
	return false
}

// neighbours returns the runes around byte j of cl that are not marks,
// modifiers or selectors: what a joiner at j joins. A side with nothing
// is -1.
func neighbours(cl string, j int) (prev, next rune) {
	prev, next = -1, -1
	rs := []rune(cl[:j])
	for k := len(rs) - 1; k >= 0; k-- {
		if !modifier(rs[k]) {
			prev = rs[k]
			break
		}
	}
	for _, x := range cl[j:] {
		if x == zwj {
			continue
		}
		if !modifier(x) {
			next = x
		}
		break
	}
	return prev, next
}

// modifier reports what may sit between a pictograph and a joiner:
// variation selectors, skin tones, the keycap mark, other marks.
func modifier(r rune) bool {
	return r == vs15 || r == vs16 || (r >= 0x1f3fb && r <= 0x1f3ff) || r == keycapMarker ||
		(r >= tagFirst && r <= tagLast) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r)
}

// pictographic approximates Unicode's Extended_Pictographic: the symbols
// emoji are drawn from. Letters, digits and punctuation are not.
func pictographic(r rune) bool {
	switch {
	case r < 0xa9, r == 0xfffd: // U+FFFD also stands for an invalid byte
		return false
	case r >= 0x1f000 && r <= 0x1faff:
		return true
	}
	return unicode.Is(unicode.So, r)
}

func keycapBase(r rune) bool { return (r >= '0' && r <= '9') || r == '#' || r == '*' }
