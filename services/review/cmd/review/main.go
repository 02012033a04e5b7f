// Command review runs the sensitivity review service on its own.
package main

import (
	"context"

	"newsroom.dev/platform/service"
	"newsroom.dev/services/review"
)

func main() {
	service.Main("review", func(ctx context.Context, d service.Deps) (service.Service, error) {
		return review.New(ctx, d, review.ConfigFromEnv())
	})
}
