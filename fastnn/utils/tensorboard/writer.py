"""SummaryWriter with torch.utils.tensorboard's API: scalars, histograms, images, text and hyperparameters."""
import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import summary


class SummaryWriter:
    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step, self.max_queue, self.flush_secs = purge_step, max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self._writers = {}
        self._writer(self.log_dir)

    def _writer(self, log_dir):
        w = self._writers.get(log_dir)
        if w is None:
            w = self._writers[log_dir] = EventFileWriter(log_dir, self.max_queue, self.flush_secs,
                                                          self.filename_suffix)
            w.add_event(Event(wall_time=time.time(), file_version="brain.Event:2"))
            if self.purge_step is not None:   # TensorBoard drops later-step events of an earlier crashed run
                w.add_event(Event(step=self.purge_step, session_log=_session_start()))
        return w

    def get_logdir(self):
        return self.log_dir

    def _add(self, summ, global_step, walltime, log_dir=None):
        if self._writers is None:
            raise RuntimeError("this SummaryWriter is closed")
        event = Event(summary=summ, wall_time=time.time() if walltime is None else walltime)
        if global_step is not None:
            event.step = int(global_step)
        self._writer(log_dir or self.log_dir).add_event(event)

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        self._add(summary.scalar(tag, scalar_value), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Each entry goes to its own run (log_dir/main_tag_tag), so TensorBoard draws them in one chart."""
        for tag, value in tag_scalar_dict.items():
            run = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            self._add(summary.scalar(main_tag, value), global_step, walltime, log_dir=run)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        self._add(summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._add(summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._add(summary.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._add(summary.text(tag, text_string), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """The hyperparameters and final metrics of one run, in a sub-run named run_name (default: the time)."""
        run = os.path.join(self.log_dir, run_name or str(time.time()))
        for record in summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete):
            self._add(record, global_step, None, log_dir=run)
        for key, value in metric_dict.items():
            self._add(summary.scalar(key, value), global_step, None, log_dir=run)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        raise NotImplementedError("add_graph needs a traced TorchScript graph, which fastnn does not make; "
                                  "fastnn.onnx.export writes a model graph that Netron or TensorBoard can show")

    def flush(self):
        for w in (self._writers or {}).values():
            w.flush()

    def close(self):
        for w in (self._writers or {}).values():
            w.flush()
            w.close()
        self._writers = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _session_start():
    from tensorboard.compat.proto.event_pb2 import SessionLog
    return SessionLog(status=SessionLog.START)
