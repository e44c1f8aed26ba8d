package market

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultTimezone is the marketplace's timezone unless MARKET_TIMEZONE
// says otherwise: opening hours are read on its wall clock.
const DefaultTimezone = "Europe/Lisbon"

// MaxRangesPerDay bounds a day's opening hours: a split shift, a late
// opening and some room.
const MaxRangesPerDay = 4

// minutesPerDay is also the "24:00" a range may close at.
const minutesPerDay = 24 * 60

// weekdayKeys name the days in JSON, indexed by time.Weekday.
var weekdayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// TimeRange is one opening of a day, in minutes after midnight on the
// marketplace's wall clock. Close may be 24:00; a Close before Open
// crosses midnight into the next day.
type TimeRange struct {
	Open, Close int
}

func (r TimeRange) crossesMidnight() bool { return r.Close < r.Open }

// MarshalJSON writes {"open": "HH:MM", "close": "HH:MM"}.
func (r TimeRange) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Open  string `json:"open"`
		Close string `json:"close"`
	}{clockText(r.Open), clockText(r.Close)})
}

func clockText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// OpeningHours are a shop's ranges for each weekday, indexed by
// time.Weekday. The zero value is closed every day; AlwaysOpen is what a
// shop that never set hours has.
type OpeningHours [7][]TimeRange

// AlwaysOpen is open at every hour of every day.
func AlwaysOpen() OpeningHours {
	var h OpeningHours
	for d := range h {
		h[d] = []TimeRange{{Open: 0, Close: minutesPerDay}}
	}
	return h
}

// MarshalJSON writes every weekday, "mon" first, each a list (empty when
// closed all day).
func (h OpeningHours) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range 7 {
		d := (i + 1) % 7 // Monday first
		ranges := h[d]
		if ranges == nil {
			ranges = []TimeRange{}
		}
		text, err := json.Marshal(ranges)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", weekdayKeys[d], text)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ParseOpeningHours reads opening hours as MarshalJSON writes them,
// reporting errors on field: weekday keys only, at most MaxRangesPerDay
// ranges a day, "HH:MM" times (close may be "24:00"), open and close
// different, and the ranges of a day not overlapping. A missing weekday is
// closed.
func ParseOpeningHours(field string, doc json.RawMessage) (OpeningHours, error) {
	var days map[string][]struct {
		Open  *string `json:"open"`
		Close *string `json:"close"`
	}
	if err := json.Unmarshal(doc, &days); err != nil || days == nil {
		return OpeningHours{}, FieldError(field, `%s must be an object of weekdays ("mon" … "sun"), each a list of {"open": "HH:MM", "close": "HH:MM"}`, field)
	}
	var h OpeningHours
	for key, ranges := range days {
		d := slices.Index(weekdayKeys[:], key)
		if d < 0 {
			return OpeningHours{}, FieldError(field, "%s: %q is not a weekday; use mon, tue, wed, thu, fri, sat, sun", field, key)
		}
		dayField := field + "." + key
		if len(ranges) > MaxRangesPerDay {
			return OpeningHours{}, FieldError(dayField, "%s holds at most %d ranges", dayField, MaxRangesPerDay)
		}
		h[d] = make([]TimeRange, 0, len(ranges))
		for i, r := range ranges {
			rangeField := fmt.Sprintf("%s[%d]", dayField, i)
			if r.Open == nil || r.Close == nil {
				return OpeningHours{}, FieldError(rangeField, "%s needs both open and close", rangeField)
			}
			open, okOpen := parseClock(*r.Open, false)
			closing, okClose := parseClock(*r.Close, true)
			if !okOpen || !okClose {
				return OpeningHours{}, FieldError(rangeField, `%s: times are "HH:MM" from "00:00" to "23:59" (a close may be "24:00")`, rangeField)
			}
			if open == closing {
				return OpeningHours{}, FieldError(rangeField, "%s opens and closes at the same time", rangeField)
			}
			h[d] = append(h[d], TimeRange{Open: open, Close: closing})
		}
		if err := checkOverlaps(dayField, h[d]); err != nil {
			return OpeningHours{}, err
		}
	}
	return h, nil
}

func parseClock(s string, allow24 bool) (int, bool) {
	var hh, mm int
	if len(s) != 5 || s[2] != ':' || strings.ContainsAny(s, "+- ") {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%2d:%2d", &hh, &mm); err != nil || mm > 59 {
		return 0, false
	}
	switch {
	case hh < 24:
		return hh*60 + mm, true
	case hh == 24 && mm == 0 && allow24:
		return minutesPerDay, true
	}
	return 0, false
}

// checkOverlaps refuses ranges of one day that overlap, the part of a
// range past midnight counted until its close.
func checkOverlaps(field string, ranges []TimeRange) error {
	type span struct{ from, to int }
	spans := make([]span, 0, len(ranges))
	for _, r := range ranges {
		to := r.Close
		if r.crossesMidnight() {
			to += minutesPerDay
		}
		spans = append(spans, span{r.Open, to})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	for i := 1; i < len(spans); i++ {
		if spans[i].from < spans[i-1].to {
			return FieldError(field, "%s has ranges that overlap", field)
		}
	}
	return nil
}

// OpenAt reports whether the hours are open at t, read on the wall clock
// of zone: within a range of t's weekday, or in the part after midnight
// of a range of the day before. Wall-clock reading makes DST changes no
// special case: the hour that is skipped is never open, the hour that
// repeats is open both times if its wall-clock time is.
func (h OpeningHours) OpenAt(t time.Time, zone *time.Location) bool {
	local := t.In(zone)
	day := local.Weekday()
	minute := local.Hour()*60 + local.Minute()
	for _, r := range h[day] {
		if minute >= r.Open && (r.crossesMidnight() || minute < r.Close) {
			return true
		}
	}
	for _, r := range h[(day+6)%7] {
		if r.crossesMidnight() && minute < r.Close {
			return true
		}
	}
	return false
}

// NextOpening is the first time after t at which the hours open, looking a
// week and a day ahead; false if they never do. A shop open at t has its
// next opening after it closes.
func (h OpeningHours) NextOpening(t time.Time, zone *time.Location) (time.Time, bool) {
	local := t.In(zone)
	var best time.Time
	for offset := 0; offset <= 8; offset++ {
		date := local.AddDate(0, 0, offset)
		for _, r := range h[date.Weekday()] {
			at := time.Date(date.Year(), date.Month(), date.Day(), r.Open/60, r.Open%60, 0, 0, zone)
			// An opening inside the range of the day before that runs
			// on past midnight is no opening.
			if !at.After(t) || h.OpenAt(at.Add(-time.Minute), zone) {
				continue
			}
			if best.IsZero() || at.Before(best) {
				best = at
			}
		}
		if !best.IsZero() {
			return best, true
		}
	}
	return time.Time{}, false
}
