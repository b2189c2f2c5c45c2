package config

import "testing"

func TestAnonymousQuestions(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{{"", false}, {"true", true}, {"false", false}} {
		c, err := Load(map[string]string{"PALABRE_ANONYMOUS_QUESTIONS": tc.value})
		if err != nil || c.AnonymousQuestions != tc.want {
			t.Errorf("PALABRE_ANONYMOUS_QUESTIONS=%q: %v, %v; want %v", tc.value, c.AnonymousQuestions, err, tc.want)
		}
	}
	if _, err := Load(map[string]string{"PALABRE_ANONYMOUS_QUESTIONS": "maybe"}); err == nil {
		t.Error("PALABRE_ANONYMOUS_QUESTIONS=maybe was taken")
	}
}
