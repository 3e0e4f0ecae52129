// Goroutines, timers, a channel pipeline and os/exec: the Go runtime's threads (clone without
// CLONE_SETTLS), its signals (SIGURG preemption) and its futexes, under a statically linked build.
package main

import (
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	// a pipeline: numbers -> squares -> sum
	nums := make(chan int)
	squares := make(chan int)
	go func() {
		for i := 1; i <= 1000; i++ {
			nums <- i
		}
		close(nums)
	}()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range nums {
				squares <- n * n
			}
		}()
	}
	go func() { wg.Wait(); close(squares) }()
	sum := 0
	for s := range squares {
		sum += s
	}
	fmt.Println("sum of squares:", sum)

	// timers
	start := time.Now()
	timer := time.NewTimer(30 * time.Millisecond)
	ticker := time.NewTicker(5 * time.Millisecond)
	ticks := 0
loop:
	for {
		select {
		case <-ticker.C:
			ticks++
		case <-timer.C:
			break loop
		}
	}
	ticker.Stop()
	fmt.Println("timer fired after 30ms or more:", time.Since(start) >= 30*time.Millisecond, "ticks seen:", ticks > 0)

	// busy goroutines, preempted by the runtime (SIGURG)
	var counter sync.Mutex
	total := 0
	var busy sync.WaitGroup
	for g := 0; g < 16; g++ {
		busy.Add(1)
		go func(g int) {
			defer busy.Done()
			local := 0
			for i := 0; i < 2000000; i++ {
				local += i % (g + 1)
			}
			counter.Lock()
			total += local % 7
			counter.Unlock()
		}(g)
	}
	busy.Wait()
	fmt.Println("busy goroutines done:", total >= 0)

	// os/exec
	out, err := exec.Command("/bin/echo", "from", "a", "child").Output()
	fmt.Printf("os/exec: %q %v\n", string(out), err)
}
