"""`squeezeapp teach DIR`: train a head from an ImageFolder directory, print how good it is
(cross-validated per-class accuracy and confusion matrix), export one ONNX model; `--report`
measures teaching itself (digits and photo views at 5/10/20 per class, timings)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(commands: argparse._SubParsersAction) -> None:
    teach = commands.add_parser(
        "teach", help="train your own classes from a folder of sub-folders; export a model")
    teach.add_argument("folder", nargs="?", type=Path, metavar="DIR",
                       help="one sub-folder per class, pictures in each (ImageFolder layout)")
    teach.add_argument("--model", "-m", metavar="NAME_OR_PATH",
                       help="the base model (default: squeezenet1.1)")
    teach.add_argument("--output", "-o", type=Path, metavar="FILE.onnx",
                       help="write the taught model here (an existing file only with --force)")
    teach.add_argument("--force", action="store_true",
                       help="replace an existing --output file")
    teach.add_argument("--name", metavar="NAME", help="model_name of the export (default: the "
                                                      "output file's stem)")
    teach.add_argument("--evaluate", type=Path, metavar="TESTDIR",
                       help="also report accuracy on a separate folder of the same classes")
    teach.add_argument("--format", "-f", choices=("table", "json"), default="table")
    teach.add_argument("--report", action="store_true",
                       help="measure teaching: digits (scikit-learn) and views of the sample "
                            "photos at 5/10/20 per class, training time, feature rate")
    teach.add_argument("--images", type=Path, metavar="DIR",
                       help="photos for --report (default: $SQUEEZEAPP_SAMPLE_IMAGES)")


def run(args: argparse.Namespace) -> int:
    from squeezeapp.core.common.errors import SqueezeappError
    from squeezeapp.core.inference.classifier import Classifier
    from squeezeapp.core.models.lookup import resolve_model_path
    from squeezeapp.core.teach.base import teach_base

    requested = resolve_model_path(args.model)
    base = teach_base(requested)
    if base != requested:
        print(f"teach: {requested.name} is a taught model; teaching from its ImageNet base "
              f"{base.name}", file=sys.stderr)
    classifier = Classifier.load(base)
    if args.report:
        return _report(args, classifier)
    if args.folder is None:
        raise SqueezeappError("teach: give a folder (DIR) or --report")
    from squeezeapp.core.teach.export import export_model
    from squeezeapp.core.teach.project import Project
    from squeezeapp.core.teach.train import evaluate_head, train_project

    if not args.folder.is_dir():
        raise SqueezeappError(f"teach: {args.folder} is not a folder")
    if args.output is not None and args.output.exists() and not args.force:
        raise SqueezeappError(f"teach: {args.output} exists; add --force to replace it")
    project = Project.open(args.folder)
    if not project.classes:
        raise SqueezeappError(f"teach: {args.folder} has no sub-folders; teach needs one "
                              "sub-folder per class, with that class's pictures in it")
    trained = train_project(classifier, project)
    report = trained.report
    result: dict[str, object] = {"folder": str(args.folder), **report.as_dict(),
                                 "left_out": list(trained.left_out)}
    if args.evaluate is not None and report.head is not None:
        evaluation = evaluate_head(classifier, report.head, trained.scan.classes, args.evaluate)
        if not any(examples for _, examples, _ in evaluation.per_class):
            raise SqueezeappError(f"teach: {args.evaluate} has no pictures in sub-folders named "
                                  "like the taught classes (" + ", ".join(
                                      trained.scan.classes[:5]) + ")")
        result["evaluation"] = {
            "accuracy": evaluation.accuracy,
            "classes": [{"name": n, "examples": e, "correct": c}
                        for n, e, c in evaluation.per_class],
            "left_out": list(evaluation.left_out)}
    if args.output is not None:
        if report.head is None:
            raise SqueezeappError("teach: nothing to export: " + " ".join(report.warnings))
        written = export_model(classifier.spec.path, report, classifier.spec.preprocess.as_dict(),
                               args.output, args.name or args.output.stem,
                               base_name=classifier.spec.name, overwrite=args.force)
        result["output"] = str(written)
    if args.format == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(_table(result))
    return EXIT_OK if report.head is not None else EXIT_USAGE


def _table(result: dict) -> str:
    lines = []
    classes = result["classes"]
    accuracy = result["accuracy"]
    kind = _feature_words(result["features"])
    lines.append(f"{len(classes)} classes, {sum(c['examples'] for c in classes)} examples; "
                 f"{kind}, regulariser {result['regulariser']}; "
                 f"trained in {result['train_ms']:.0f} ms")
    overall = "—" if accuracy is None else f"{accuracy:.1%}"
    lines.append(f"Cross-validated accuracy ({result['validation']}): {overall}")
    width = max([len(c["name"]) for c in classes] + [5])
    for c in classes:
        shown = "—" if c["accuracy"] is None else f"{c['accuracy']:.1%}"
        lines.append(f"  {c['name']:<{width}}  {c['examples']:>5} examples  {shown:>6}")
    if result["confusion"]:
        lines.append("Confusion matrix (rows: true class, columns: predicted):")
        header = "".join(f"{i + 1:>6}" for i in range(len(classes)))
        lines.append(f"  {'':<{width}}    {header}")
        for i, (c, row) in enumerate(zip(classes, result["confusion"], strict=True)):
            lines.append(f"  {c['name']:<{width}} {i + 1:>3}" + "".join(f"{v:>6}" for v in row))
    for warning in result["warnings"]:
        lines.append(f"Warning: {warning}")
    for line in result["left_out"]:
        lines.append(f"Left out: {line}")
    if "evaluation" in result:
        evaluation = result["evaluation"]
        shown = "—" if evaluation["accuracy"] is None else f"{evaluation['accuracy']:.1%}"
        lines.append(f"On the test folder: {shown}")
        for c in evaluation["classes"]:
            part = f"{c['correct']}/{c['examples']}" if c["examples"] else "no examples"
            lines.append(f"  {c['name']:<{width}}  {part}")
        for line in evaluation["left_out"]:
            lines.append(f"Left out: {line}")
    if "output" in result:
        lines.append(f"Wrote {result['output']}")
    return "\n".join(lines)


def _feature_words(value: object) -> str:
    """The head's features as the panel says them ("pooled Fire features")."""
    from squeezeapp.core.teach.head import FeatureKind

    try:
        return FeatureKind(str(value)).description
    except ValueError:
        return "features: —"


def _report(args: argparse.Namespace, classifier) -> int:
    from squeezeapp.core.imaging.decode import expand_image_paths
    from squeezeapp.core.teach.benchmark import run_benchmark

    folder = args.images or (Path(os.environ["SQUEEZEAPP_SAMPLE_IMAGES"])
                             if os.environ.get("SQUEEZEAPP_SAMPLE_IMAGES") else None)
    photos = sorted(expand_image_paths([folder])) if folder and folder.is_dir() else []
    report = run_benchmark(classifier, photos,
                           progress=lambda text: print(f"… {text}", file=sys.stderr))
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{'task':<12} {'classes':>7} {'per class':>9} {'held out':>9} {'cross-val':>9} "
          f"{'teach ms':>9} {'fit ms':>7}  chosen")
    for r in report.results:
        print(f"{r.task:<12} {r.classes:>7} {r.per_class:>9} {r.accuracy:>9.1%} "
              f"{r.cv_accuracy:>9.1%} {r.teach_ms:>9.0f} {r.fit_ms:>7.0f}  {r.chosen}")
    print(f"feature extraction: {report.feature_rate:.0f} images/s (batches of 8)")
    print(f"500 examples (digits, 50 per class): final fit {report.fit_500_ms:.0f} ms, "
          f"with the cross-validated choice {report.teach_500_ms:.0f} ms")
    return EXIT_OK
