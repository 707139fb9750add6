"""python -m training origin|sentiment|evaluate ... (see README: Training)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import datetime
from pathlib import Path

from inference.device import configure_threads, resolve_device
from inference.registry import resolve_checkpoint
from training.config import OriginConfig, SentimentConfig

CONFIGS = {"origin": OriginConfig, "sentiment": SentimentConfig}


def add_hyperparameters(parser: argparse.ArgumentParser, cfg_cls: type) -> None:
    """Every dataclass field becomes a --flag, so nothing is configured in two places."""
    for f in dataclasses.fields(cfg_cls):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default),
                            default=f.default, help=f"(default: {f.default})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for task, cfg_cls in CONFIGS.items():
        p = sub.add_parser(task, help=f"train the {task} model")
        p.add_argument("--data", help="archive or folder with the data (default: $SEQBOT_DATA, "
                       "else download into the cache)")
        p.add_argument("--device", default="auto", help="auto|cpu|cuda|cuda:N|mps")
        p.add_argument("--threads", type=int, default=None, help="CPU intra-op threads")
        p.add_argument("--out", type=Path, default=None, help="output folder (default runs/...)")
        p.add_argument("--ship", action="store_true",
                       help="also copy the checkpoint over the weights shipped in the package")
        if task == "origin":
            p.add_argument("--protocol", choices=["clean", "tutorial"], default="clean",
                           help="tutorial = random 80/20 of raw lines, for comparison only")
        add_hyperparameters(p, cfg_cls)
    ev = sub.add_parser("evaluate", help="score a checkpoint on the task's test set")
    ev.add_argument("task", choices=list(CONFIGS))
    ev.add_argument("--data")
    ev.add_argument("--checkpoint", type=Path, default=None,
                    help="default: the model the bot serves ($SEQBOT_MODEL_DIR, else shipped)")
    ev.add_argument("--model-dir", default=None)
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    if args.command == "evaluate":
        return evaluate_command(args)
    configure_threads(args.threads)
    device = resolve_device(args.device)
    cfg = CONFIGS[args.command](**{f.name: getattr(args, f.name)
                                   for f in dataclasses.fields(CONFIGS[args.command])})
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"{args.command}-{stamp}"
    if args.command == "origin":
        from training import origin
        from training.fit import fit

        data = origin.load(args.data, args.protocol)
        if args.protocol == "tutorial" and args.ship:
            parser.error("the tutorial protocol is for comparison only; it is never shipped")
        fit("origin", cfg, data, out, device, class_weights=origin.class_weights(data, cfg),
            ship=args.ship)
    else:
        from training import sentiment

        sentiment.train(cfg, args.data, out, device, ship=args.ship)
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    import os

    from training.evaluate import evaluate, format_report

    configure_threads(None)
    model_dir = args.model_dir or os.environ.get("SEQBOT_MODEL_DIR")
    checkpoint = args.checkpoint or resolve_checkpoint(args.task, model_dir)
    metrics = evaluate(args.task, checkpoint, args.data, args.device)
    if args.json:
        slim = {k: metrics[k] for k in ("accuracy", "macro_f1", "ece", "n", "model_version")}
        slim["per_class_f1"] = {k: v["f1"] for k, v in metrics["per_class"].items()}
        print(json.dumps(slim))
    else:
        print(format_report(args.task, metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
