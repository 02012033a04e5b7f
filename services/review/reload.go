package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	reviewv1 "newsroom.dev/gen/newsroom/review/v1"
	"newsroom.dev/platform/auth"
	"newsroom.dev/services/review/rules"
)

// SubjectRulesReload is where a replica that reloaded its rules tells the
// others to do the same. It is core NATS (every replica subscribes, no
// queue group); being under newsroom.review.>, the REVIEW stream keeps a
// copy of each announcement, a log of reloads.
const SubjectRulesReload = "newsroom.review.rules.reload"

// Reload reads the rule packs again from the rules folder, swaps them in
// if every pack is valid and every example passes, and tells the other
// replicas to reload theirs. An invalid pack is refused with file, line
// and reason for each problem (also as BadRequest field violations), and
// the rules in force stay.
func (s *Service) Reload(ctx context.Context, req *reviewv1.ReloadRequest) (*reviewv1.ReloadResponse, error) {
	if s.cfg.RulesDir == "" {
		return nil, status.Error(codes.FailedPrecondition,
			"this service runs the rule packs built into it; start it with NEWSROOM_RULES_DIR set to a folder of packs to reload them")
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	set, err := rules.LoadDir(s.cfg.RulesDir)
	if err != nil {
		return nil, loadStatus(s.cfg.RulesDir, err)
	}
	resp := &reviewv1.ReloadResponse{
		Packs: int32(set.Packs()), Rules: int32(len(set.Rules())), Digest: set.Digest(), Categories: set.Categories(),
	}
	if req.GetValidateOnly() {
		return resp, nil
	}
	old := s.rules.Swap(set)
	s.log.Info("rule packs reloaded", "by", auth.Actor(ctx), "rules", len(set.Rules()), "digest", set.Digest(), "previous", old.Digest())
	msg, _ := proto.Marshal(&reviewv1.RulesReloaded{
		Actor: auth.Actor(ctx), Time: timestamppb.New(s.clock.Now()), Digest: set.Digest(), Rules: int32(len(set.Rules())),
	})
	err = s.nc.Publish(SubjectRulesReload, msg)
	if err == nil {
		err = s.nc.FlushTimeout(5 * time.Second)
	}
	if err != nil {
		s.log.Error("rule reload not announced", "err", err)
		return nil, status.Errorf(codes.Unavailable, "rules reloaded on this replica, but the other replicas could not be told (%v); run the reload again", err)
	}
	return resp, nil
}

// loadStatus turns a refused rule set into InvalidArgument, naming each
// problem's file and line.
func loadStatus(dir string, err error) error {
	var le *rules.LoadError
	if !errors.As(err, &le) {
		return status.Errorf(codes.FailedPrecondition, "rules folder %s: %v", dir, err)
	}
	msg := "rule packs refused, the rules in force stay: " + le.Problems[0].String()
	if n := len(le.Problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	st := status.New(codes.InvalidArgument, msg)
	br := &errdetails.BadRequest{}
	for _, p := range le.Problems {
		field := p.File
		if p.Line > 0 {
			field = fmt.Sprintf("%s:%d", p.File, p.Line)
		}
		desc := p.Reason
		if p.Rule != "" {
			desc = "rule " + p.Rule + ": " + p.Reason
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: field, Description: desc})
	}
	if withDetails, derr := st.WithDetails(br); derr == nil {
		st = withDetails
	}
	return st.Err()
}

// followReloads subscribes to reload announcements: each replica reloads
// its own rules folder, so a Reload taken by any replica reaches them all.
func (s *Service) followReloads() (*nats.Subscription, error) {
	return s.nc.Subscribe(SubjectRulesReload, func(m *nats.Msg) {
		var ev reviewv1.RulesReloaded
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			s.log.Warn("malformed rule reload announcement", "err", err)
			return
		}
		s.reloadFromAnnouncement(&ev)
	})
}

func (s *Service) reloadFromAnnouncement(ev *reviewv1.RulesReloaded) {
	if s.cfg.RulesDir == "" || ev.GetDigest() == s.ruleSet().Digest() {
		return // built-in rules, or already the announced set (the replica that took the RPC)
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	set, err := rules.LoadDir(s.cfg.RulesDir)
	if err != nil {
		s.log.Error("rule reload announced, but this replica's rules folder is refused; keeping the rules in force",
			"by", ev.GetActor(), "dir", s.cfg.RulesDir, "err", err)
		return
	}
	if set.Digest() != ev.GetDigest() {
		s.log.Warn("rule reload announced, but this replica's rules folder differs from the one reloaded",
			"announced", ev.GetDigest(), "here", set.Digest(), "dir", s.cfg.RulesDir)
	}
	old := s.rules.Swap(set)
	s.log.Info("rule packs reloaded on announcement", "by", ev.GetActor(), "rules", len(set.Rules()), "digest", set.Digest(), "previous", old.Digest())
}
