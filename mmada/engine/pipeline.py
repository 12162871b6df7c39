"""Multi-stage pipelines: ordered stages whose inputs are earlier stages' outputs.

A pipeline file is a config (``configs/pipelines/*.py``)::

    work_dir = 'work_dirs/point_sup_synthetic'    # root; a stage's default: root/NAME
    stages = dict(                                 # run in this order
        g1=dict(type='train', config='configs/point_sup/point_sup-g1-advent_....py'),
        select=dict(type='select', config='...', checkpoint='{g1.checkpoint}'),
        g2=dict(type='train', config='...', cfg_options={
            'train_dataloader.dataset.target.label_store_dir': '{select.label_store}'}))

``{stage.output}`` names an output of an earlier stage, ``{root}`` the root
and ``{work_dir}`` the stage's own work dir. Every output path is known before
anything runs, so any stage runs alone once its inputs exist, and a stage
whose input is missing fails before work with the command that produces it.

Stage types (:data:`STAGE_TYPES`, extended with :func:`register_stage`):

* ``train``: ``tools/train.py CONFIG --work-dir W --resume`` (an interrupted run
  continues from its newest checkpoint, :mod:`mmada.engine.resume`). Keys ``config``,
  ``cfg_options``, ``load_from``. Outputs ``config``, ``work_dir``, ``checkpoint``
  (the final ``W/iter_<max_iters>.pth``); done when it exists.
* ``select``: one offline round, ``tools/select.py CONFIG CHECKPOINT --work-dir W``
  (``export=True``: queries for annotators; the pipeline stops until they are
  imported). Keys ``config``, ``checkpoint``, ``cfg_options``, ``export``. Outputs
  ``config``, ``work_dir``, ``label_store`` (``W/active_labels``); done at its round.
* ``tool``: ``python SCRIPT ARGS``. Keys ``script``, ``args``, ``outputs`` (name ->
  path). Done when it finished once in this work dir and its outputs exist.

Each finished stage leaves ``W/pipeline_stage.json`` (its command); a rerun
with another command in the same work dir is refused instead of skipped.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

from mmada.utils.errors import UserFacingError
from mmada.utils.fileio import atomic_write_text

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MARKER = 'pipeline_stage.json'
REF = re.compile(r'\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}')
STAGE_TYPES: Dict[str, type] = {}


def register_stage(name: str) -> Callable[[type], type]:
    """Class decorator: make a :class:`Stage` subclass a pipeline stage type."""

    def wrap(cls: type) -> type:
        STAGE_TYPES[name] = cls
        cls.type_name = name
        return cls
    return wrap


def _tool(name: str) -> str:
    return osp.join(REPO, 'tools', name)


def _shown(cmd: Sequence[str]) -> str:
    """A command line as a user types it (tools relative to the repository)."""
    return ' '.join(osp.relpath(c, REPO) if c.startswith(REPO + osp.sep) else c for c in cmd)


def _options(cfg_options: Dict[str, object]) -> List[str]:
    if not cfg_options:
        return []
    return ['--cfg-options'] + [f'{k}={v}' for k, v in cfg_options.items()]


class Stage:
    """One step of a pipeline.

    Args:
        name: The stage's name (key of ``stages``).
        spec: Its settings, references already resolved.
        work_dir: Its work dir.
    """
    type_name = ''
    keys: Sequence[str] = ()
    outputs_to_check: Sequence[str] = ()

    def __init__(self, name: str, spec: dict, work_dir: str) -> None:
        unknown = sorted(set(spec) - set(self.keys) - {'type', 'work_dir'})
        if unknown:
            raise UserFacingError(
                f"pipeline stage '{name}' ({self.type_name}): unknown keys {unknown}; "
                f'known: {sorted(self.keys)}')
        self.name, self.spec, self.work_dir = name, spec, work_dir

    def outputs(self) -> Dict[str, str]:
        """Paths this stage produces (known before it runs)."""
        return dict(work_dir=self.work_dir)

    def command(self) -> List[str]:
        """The tool's command line, without the interpreter."""
        raise NotImplementedError

    def is_done(self) -> bool:
        """Whether the stage has finished (its outputs are there)."""
        raise NotImplementedError

    def check_ready(self) -> None:
        """Refuse to start before work (e.g. a missing config file)."""
        config = self.spec.get('config')
        if config is not None and not osp.isfile(config):
            raise UserFacingError(
                f"pipeline stage '{self.name}': config {config} does not exist "
                f'(looked for {osp.abspath(config)}).')

    def after_run(self) -> Optional[str]:
        """A message that stops the pipeline after a successful run, if any."""
        return None


def _checkpoint_of(config: str, cfg_options: dict, work_dir: str) -> str:
    """The final checkpoint ``W/iter_<max_iters>.pth`` of an iteration-based run."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(dict(cfg_options))
    return osp.join(work_dir, f'iter_{int(cfg.train_cfg.max_iters)}.pth')


@register_stage('train')
class TrainStage(Stage):
    """Train a config; continue an interrupted run (``--resume``)."""
    keys = ('config', 'cfg_options', 'load_from')

    def _cfg_options(self) -> dict:
        options = dict(self.spec.get('cfg_options') or {})
        if self.spec.get('load_from'):
            options['load_from'] = self.spec['load_from']
        return options

    def outputs(self) -> Dict[str, str]:
        if not hasattr(self, '_outputs'):
            self.check_ready()
            self._outputs = dict(
                config=self.spec['config'], work_dir=self.work_dir,
                checkpoint=_checkpoint_of(self.spec['config'], self._cfg_options(),
                                          self.work_dir))
        return self._outputs

    def command(self) -> List[str]:
        return [_tool('train.py'), self.spec['config'], '--work-dir', self.work_dir,
                '--resume'] + _options(self._cfg_options())

    def is_done(self) -> bool:
        return osp.isfile(self.outputs()['checkpoint'])


@register_stage('select')
class SelectStage(Stage):
    """One offline acquisition round from a checkpoint (``tools/select.py``)."""
    keys = ('config', 'checkpoint', 'cfg_options', 'export')

    def outputs(self) -> Dict[str, str]:
        return dict(config=self.spec['config'], work_dir=self.work_dir,
                    label_store=osp.join(self.work_dir, 'active_labels'))

    def command(self) -> List[str]:
        return ([_tool('select.py'), self.spec['config'], self.spec['checkpoint'],
                 '--work-dir', self.work_dir] + (['--export'] if self.spec.get('export') else [])
                + _options(self.spec.get('cfg_options') or {}))

    def _store(self):
        from mmada.active.label_store import LabelStore
        root = self.outputs()['label_store']
        return LabelStore(root) if LabelStore.exists(root) else None

    def is_done(self) -> bool:
        store = self._store()
        return store is not None and store.current_round >= 1

    def waiting_message(self) -> Optional[str]:
        """What to do when the round's queries wait for annotators."""
        store = self._store()
        if store is None or store.current_round >= 1 or not store.has_queries(1):
            return None
        return (f"stage '{self.name}': the queries of round 1 are in "
                f'{osp.join(self.work_dir, "queries", "round_0001")}: annotate them, run '
                f'python tools/import_annotations.py {store.root} --round 1 ANNOTATION_DIR, '
                'then run the pipeline again.')

    def after_run(self) -> Optional[str]:
        return self.waiting_message()


@register_stage('tool')
class ToolStage(Stage):
    """Any script: ``python SCRIPT ARGS``, done once its outputs exist."""
    keys = ('script', 'args', 'outputs')

    def outputs(self) -> Dict[str, str]:
        return dict(dict(self.spec.get('outputs') or {}), work_dir=self.work_dir)

    def command(self) -> List[str]:
        script = self.spec['script']
        return [script if osp.isabs(script) else osp.join(REPO, script)] + \
            [str(a) for a in self.spec.get('args') or []]

    def is_done(self) -> bool:
        return osp.isfile(osp.join(self.work_dir, MARKER)) and all(
            osp.exists(p) for p in self.outputs().values())

    def check_ready(self) -> None:
        if not osp.isfile(self.command()[0]):
            raise UserFacingError(f"pipeline stage '{self.name}': script "
                                  f'{self.spec["script"]} does not exist.')


class Pipeline:
    """Stages of a pipeline file, with their references resolved.

    Args:
        path: The pipeline file.
        work_dir: Root work dir (default: the file's ``work_dir``, else
            ``work_dirs/<file name>``).
        cfg_options: Overrides merged into the file (``--cfg-options``).
    """

    def __init__(self, path: str, work_dir: Optional[str] = None,
                 cfg_options: Optional[dict] = None) -> None:
        if not osp.isfile(path):
            raise UserFacingError(f'pipeline file {path} does not exist.')
        cfg = Config.fromfile(path)
        if cfg_options:
            cfg.merge_from_dict(dict(cfg_options))
        stages = cfg.get('stages')
        if not stages or not isinstance(stages, dict):
            raise UserFacingError(f'{path}: a pipeline file defines stages = dict(NAME=dict('
                                  "type='train' | 'select' | 'tool', ...), ...)")
        self.path = path
        self.root = work_dir or cfg.get('work_dir') or osp.join(
            'work_dirs', osp.splitext(osp.basename(path))[0])
        self.stages: Dict[str, Stage] = {}
        self.outputs: Dict[str, Dict[str, str]] = {}
        self.inputs: Dict[str, List[tuple]] = {}
        for name, spec in stages.items():
            self._add(name, spec.to_dict() if hasattr(spec, 'to_dict') else dict(spec))

    def _add(self, name: str, spec: dict) -> None:
        kind = spec.get('type')
        if kind not in STAGE_TYPES:
            raise UserFacingError(f"{self.path}: stage '{name}' has type {kind!r}; "
                                  f'known types: {sorted(STAGE_TYPES)}')
        work_dir = self._resolve(name, spec.get('work_dir', '{root}/' + name), None, [])
        inputs: List[tuple] = []
        spec = {k: self._resolve(name, v, work_dir, inputs) for k, v in spec.items()}
        stage = STAGE_TYPES[kind](name, spec, work_dir)
        self.stages[name], self.inputs[name] = stage, inputs
        self.outputs[name] = stage.outputs()

    def _resolve(self, name: str, value, work_dir: Optional[str], inputs: List[tuple]):
        """Replace references in strings (inside lists and dicts too)."""
        if isinstance(value, dict):
            return {k: self._resolve(name, v, work_dir, inputs) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._resolve(name, v, work_dir, inputs) for v in value)
        if not isinstance(value, str):
            return value

        def sub(match) -> str:
            ref, key = match.group(1), match.group(2)
            if key is None and ref == 'root':
                return self.root
            if key is None and ref == 'work_dir' and work_dir is not None:
                return work_dir
            if key is None or ref not in self.outputs or key not in self.outputs[ref]:
                known = {s: sorted(o) for s, o in self.outputs.items()}
                raise UserFacingError(
                    f"{self.path}: stage '{name}' refers to {match.group(0)}, which is not an "
                    f'output of an earlier stage (earlier stages and outputs: {known}; '
                    'also {root} and {work_dir}).')
            path = self.outputs[ref][key]
            if key != 'work_dir':
                inputs.append((ref, key, path))
            return path
        return REF.sub(sub, value)

    def command(self, name: str, nproc: int = 1) -> List[str]:
        """The full command line of a stage (interpreter or launcher included)."""
        stage = self.stages[name]
        if nproc > 1 and not isinstance(stage, ToolStage):
            return [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}'] \
                + stage.command() + ['--launcher', 'pytorch']
        return [sys.executable] + stage.command()

    def producer_hint(self, stage: str) -> str:
        """How to produce the outputs of ``stage``."""
        return (f'python tools/pipeline.py {self.path} --only {stage}   '
                f'(runs: python {_shown(self.stages[stage].command())})')

    def check_inputs(self, name: str, produced: Sequence[str] = ()) -> None:
        """Fail with the producing command when an input of ``name`` is missing.

        Args:
            name: The stage.
            produced: Stages that will produce their outputs before ``name``
                runs (their outputs are not checked).
        """
        for ref, key, path in self.inputs[name]:
            if ref not in produced and not osp.exists(path):
                raise UserFacingError(
                    f"stage '{name}' needs {path} (the {key} of stage '{ref}'), which does "
                    f"not exist. Stage '{ref}' produces it:\n  {self.producer_hint(ref)}")

    def check_marker(self, name: str) -> None:
        """Refuse a work dir whose stage finished with another command."""
        marker = osp.join(self.stages[name].work_dir, MARKER)
        if not osp.isfile(marker):
            return
        with open(marker) as f:
            recorded = json.load(f).get('command')
        if recorded != self.stages[name].command():
            raise UserFacingError(
                f"stage '{name}': {self.stages[name].work_dir} holds a run finished with another "
                f'command ({" ".join(recorded or [])}); give the pipeline another work dir '
                '(--work-dir) or remove that folder.')

    def write_marker(self, name: str) -> None:
        """Record that ``name`` finished (atomically)."""
        stage = self.stages[name]
        os.makedirs(stage.work_dir, exist_ok=True)
        atomic_write_text(osp.join(stage.work_dir, MARKER), json.dumps(dict(
            stage=name, type=stage.type_name, command=stage.command(),
            outputs=self.outputs[name], finished=time.strftime('%Y-%m-%d %H:%M:%S')), indent=1))

    def select(self, only: Sequence[str] = (), start: Optional[str] = None,
               until: Optional[str] = None) -> List[str]:
        """Names of the stages to consider, in order."""
        names = list(self.stages)
        for n in list(only) + [s for s in (start, until) if s]:
            if n not in self.stages:
                raise UserFacingError(f'{self.path} has no stage {n!r}; stages: {names}')
        if only:
            return [n for n in names if n in only]
        lo = names.index(start) if start else 0
        hi = names.index(until) + 1 if until else len(names)
        return names[lo:hi]

    def run(self, names: Sequence[str], nproc: int = 1, dry_run: bool = False,
            log: Callable[[str], None] = print) -> int:
        """Run the pending stages of ``names`` in order.

        Every input that no stage of this run produces is checked before the
        first stage starts; a finished stage is skipped, an interrupted one
        continues (train stages resume from their newest checkpoint).

        Returns:
            int: 0 when done (or stopped for annotators), else the failing
            stage's exit status.
        """
        for name in names:
            self.stages[name].check_ready()
            self.check_marker(name)
        pending = [n for n in names if not self.stages[n].is_done()]
        for i, name in enumerate(pending):
            self.check_inputs(name, produced=pending[:i])
        for name in names:
            stage = self.stages[name]
            if name not in pending:
                log(f"[pipeline] stage '{name}' ({stage.type_name}): done, skipped "
                    f'({stage.work_dir})')
                if not osp.isfile(osp.join(stage.work_dir, MARKER)) and not dry_run:
                    self.write_marker(name)
                continue
            cmd = self.command(name, nproc)
            log(f"[pipeline] stage '{name}' ({stage.type_name}): python " + _shown(cmd[1:]))
            if dry_run:
                continue
            waiting = getattr(stage, 'waiting_message', lambda: None)()
            if waiting:
                log(f'[pipeline] stopped: {waiting}')
                return 0
            self.check_inputs(name)
            status = subprocess.call(cmd, cwd=os.getcwd())
            if status != 0:
                log(f"[pipeline] stage '{name}' failed (exit {status}); run the same command "
                    f"again to continue: finished stages are skipped and '{name}' resumes.")
                return status
            stop = stage.after_run()
            if stop:
                log(f'[pipeline] stopped: {stop}')
                return 0
            if not stage.is_done():
                log(f"[pipeline] stage '{name}' stopped before its outputs "
                    f'{self.outputs[name]} were complete (its messages above say why).')
                return 1
            self.write_marker(name)
        log('[pipeline] ' + ('dry run, nothing started' if dry_run else
                             f'all {len(names)} stages done'))
        return 0
