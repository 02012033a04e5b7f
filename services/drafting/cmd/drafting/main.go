// Command drafting runs the drafting service on its own; see
// platform/service.Main for its environment.
package main

import (
	"context"

	"newsroom.dev/platform/service"
	"newsroom.dev/services/drafting"
)

func main() {
	service.Main("drafting", func(ctx context.Context, d service.Deps) (service.Service, error) {
		return drafting.New(ctx, d, drafting.ConfigFromEnv())
	})
}
