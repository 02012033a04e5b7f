package index

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDecayBound checks that decayBound never falls below decay: the
// candidates' pruning relies on it to drop only what decay would drop.
func TestDecayBound(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 99))
	for _, rk := range []Ranking{Full, {HalfLife: time.Hour, DecayFloor: 0}, {HalfLife: 7 * 24 * time.Hour, DecayFloor: 0.5}} {
		h := int64(rk.HalfLife)
		for i := range 200000 {
			var dt int64
			switch i % 4 {
			case 0: // near a step of the bound
				dt = int64(float64(h)*float64(r.IntN(400))/decaySteps) + r.Int64N(3) - 1
			case 1:
				dt = r.Int64N(4 * h)
			case 2:
				dt = -r.Int64N(100 * h)
			default:
				dt = r.Int64N(1 << 62)
			}
			if b, d := rk.decayBound(dt), rk.decay(dt); b < d {
				t.Fatalf("%v, floor %v: decayBound(%d) = %v < decay %v", rk.HalfLife, rk.DecayFloor, dt, b, d)
			}
		}
		// Within two steps of the part above the floor.
		if b, d := rk.decayBound(10*h), rk.decay(10*h); b-rk.DecayFloor > (d-rk.DecayFloor)*1.2 {
			t.Errorf("%v: decayBound(10 half-lives) = %v, decay %v: too loose to prune", rk.HalfLife, b, rk.decay(10*h))
		}
	}
}
