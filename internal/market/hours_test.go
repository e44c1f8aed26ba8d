package market

import (
	"encoding/json"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	zone, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%s): %v", name, err)
	}
	return zone
}

func mustHours(t *testing.T, doc string) OpeningHours {
	t.Helper()
	h, err := ParseOpeningHours("openingHours", json.RawMessage(doc))
	if err != nil {
		t.Fatalf("ParseOpeningHours(%s): %v", doc, err)
	}
	return h
}

func TestOpeningHoursOpenAt(t *testing.T) {
	lisbon := mustZone(t, "Europe/Lisbon")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, lisbon)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-12-04 is a Friday; Lisbon's clocks go forward at 01:00 on
	// 2026-03-29 (to 02:00) and back at 02:00 on 2026-10-25 (to 01:00).
	office := mustHours(t, `{"mon": [{"open": "09:00", "close": "13:00"}, {"open": "15:00", "close": "19:00"}],
		"fri": [{"open": "09:00", "close": "18:00"}]}`)
	night := mustHours(t, `{"fri": [{"open": "22:00", "close": "02:00"}], "sat": [{"open": "20:00", "close": "24:00"}]}`)
	dst := mustHours(t, `{"sun": [{"open": "00:30", "close": "03:00"}]}`)
	tests := []struct {
		name  string
		hours OpeningHours
		at    time.Time
		want  bool
	}{
		{"within the range", office, at("2026-12-04 10:00"), true},
		{"at the opening minute", office, at("2026-12-04 09:00"), true},
		{"at the closing minute", office, at("2026-12-04 18:00"), false},
		{"before opening", office, at("2026-12-04 08:59"), false},
		{"in the lunch break", office, at("2026-12-07 14:00"), false},
		{"in the second range", office, at("2026-12-07 15:30"), true},
		{"a day without ranges", office, at("2026-12-05 10:00"), false},
		{"the same instant in UTC", office, at("2026-12-04 10:00").UTC(), true},
		{"before midnight of a night range", night, at("2026-12-04 23:30"), true},
		{"after midnight, on the next day", night, at("2026-12-05 01:59"), true},
		{"when the night range closes", night, at("2026-12-05 02:00"), false},
		{"the next night before it opens", night, at("2026-12-05 19:00"), false},
		{"closing at 24:00", night, at("2026-12-05 23:59"), true},
		{"after 24:00", night, at("2026-12-06 00:00"), false},
		{"spring forward: before the gap", dst, at("2026-03-29 00:45"), true},
		{"spring forward: after the gap", dst, time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), true}, // 02:30 in Lisbon
		{"spring forward: closed at 03:00", dst, time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC), false},
		{"fall back: first 01:30", dst, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), true},
		{"fall back: second 01:30", dst, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},
		{"fall back: 03:00 wall clock", dst, time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), false},
		{"always open", AlwaysOpen(), at("2026-12-06 03:17"), true},
		{"the zero value is closed", OpeningHours{}, at("2026-12-06 03:17"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hours.OpenAt(tt.at, lisbon); got != tt.want {
				t.Errorf("OpenAt(%s) = %v, want %v", tt.at.In(lisbon), got, tt.want)
			}
		})
	}
}

func TestOpeningHoursNextOpening(t *testing.T) {
	lisbon := mustZone(t, "Europe/Lisbon")
	office := mustHours(t, `{"mon": [{"open": "09:00", "close": "13:00"}], "fri": [{"open": "09:00", "close": "18:00"}]}`)
	tests := []struct {
		name   string
		hours  OpeningHours
		from   time.Time
		want   time.Time
		wantOK bool
	}{
		{"later the same day", office, time.Date(2026, 12, 4, 7, 0, 0, 0, lisbon), time.Date(2026, 12, 4, 9, 0, 0, 0, lisbon), true},
		{"over the weekend", office, time.Date(2026, 12, 4, 19, 0, 0, 0, lisbon), time.Date(2026, 12, 7, 9, 0, 0, 0, lisbon), true},
		{"a week ahead", office, time.Date(2026, 12, 7, 10, 0, 0, 0, lisbon), time.Date(2026, 12, 11, 9, 0, 0, 0, lisbon), true},
		{"never", OpeningHours{}, time.Date(2026, 12, 7, 10, 0, 0, 0, lisbon), time.Time{}, false},
		{"always open has no opening", AlwaysOpen(), time.Date(2026, 12, 7, 10, 0, 0, 0, lisbon), time.Time{}, false},
		{"across the DST change", mustHours(t, `{"sun": [{"open": "09:00", "close": "10:00"}]}`),
			time.Date(2026, 3, 28, 12, 0, 0, 0, lisbon), time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.hours.NextOpening(tt.from, lisbon)
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("NextOpening = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseOpeningHours(t *testing.T) {
	tests := []struct {
		name, doc, wantField string
	}{
		{"every day", `{"mon":[],"tue":[],"wed":[],"thu":[],"fri":[],"sat":[],"sun":[{"open":"00:00","close":"24:00"}]}`, ""},
		{"crossing midnight", `{"fri": [{"open": "18:00", "close": "02:00"}]}`, ""},
		{"not an object", `[]`, "openingHours"},
		{"unknown day", `{"monday": []}`, "openingHours"},
		{"too many ranges", `{"mon": [{"open":"01:00","close":"02:00"},{"open":"03:00","close":"04:00"},{"open":"05:00","close":"06:00"},{"open":"07:00","close":"08:00"},{"open":"09:00","close":"10:00"}]}`, "openingHours.mon"},
		{"bad time", `{"tue": [{"open": "9:00", "close": "18:00"}]}`, "openingHours.tue[0]"},
		{"minutes out of range", `{"tue": [{"open": "09:60", "close": "18:00"}]}`, "openingHours.tue[0]"},
		{"opening at 24:00", `{"tue": [{"open": "24:00", "close": "18:00"}]}`, "openingHours.tue[0]"},
		{"missing close", `{"tue": [{"open": "09:00"}]}`, "openingHours.tue[0]"},
		{"empty range", `{"tue": [{"open": "09:00", "close": "09:00"}]}`, "openingHours.tue[0]"},
		{"overlap", `{"wed": [{"open": "09:00", "close": "13:00"}, {"open": "12:00", "close": "18:00"}]}`, "openingHours.wed"},
		{"overlap past midnight", `{"wed": [{"open": "22:00", "close": "03:00"}, {"open": "23:00", "close": "23:30"}]}`, "openingHours.wed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseOpeningHours("openingHours", json.RawMessage(tt.doc))
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				again, err := ParseOpeningHours("openingHours", mustJSON(t, h))
				if err != nil || mustJSONString(t, again) != mustJSONString(t, h) {
					t.Errorf("a round trip changed the hours: %s, %v", mustJSON(t, again), err)
				}
				return
			}
			if fieldOf(err) != tt.wantField {
				t.Errorf("err = %v, want one on %s", err, tt.wantField)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	return string(mustJSON(t, v))
}
