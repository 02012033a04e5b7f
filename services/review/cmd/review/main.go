// Command review runs the sensitivity review service on its own, with the
// desk (the reviewers' and editors' web page) on NEWSROOM_DESK_ADDR.
package main

import (
	"context"
	"errors"
	"net"

	"newsroom.dev/platform/service"
	"newsroom.dev/services/review"
	"newsroom.dev/services/review/desk"
)

func main() {
	service.Main("review", func(ctx context.Context, d service.Deps) (service.Service, error) {
		svc, err := review.New(ctx, d, review.ConfigFromEnv())
		if err != nil {
			return nil, err
		}
		cfg, err := desk.ConfigFromEnv()
		if err != nil {
			return nil, err
		}
		dk, err := desk.New(cfg, d)
		if err != nil {
			return nil, err
		}
		lis, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			dk.Close()
			return nil, err
		}
		return &withDesk{Service: svc, desk: dk, lis: lis}, nil
	})
}

// withDesk runs the desk beside the review service, stopping both together.
type withDesk struct {
	*review.Service
	desk *desk.Desk
	lis  net.Listener
}

func (s *withDesk) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deskErr := make(chan error, 1)
	go func() { deskErr <- s.desk.Serve(ctx, s.lis); cancel() }()
	err := s.Service.Run(ctx)
	cancel()
	return errors.Join(err, <-deskErr)
}
