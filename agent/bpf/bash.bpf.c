// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Script content: every line an interactive bash reads with readline(), i.e.
 * the command lines a person (or a tool driving a terminal) types, before
 * expansion, including builtins and lines that never exec anything.
 *
 * Why a uretprobe on bash's readline: no tracepoint sees a shell's input, and
 * exec events miss builtins (cd, export, eval, echo > file...). readline()
 * returns the line as a malloc'd C string in the caller's memory. The loader
 * attaches to the bash binary it finds (readline is linked into Debian's bash,
 * exported as a dynamic symbol); no bash, no family. Oldest kernel: 5.8 (ring
 * buffer; uretprobes exist since 3.5).
 */
#include "common.bpf.h"

/* libbpf of this Debian has BPF_KRETPROBE only; BPF_URETPROBE is the same macro. */
SEC("uretprobe")
int BPF_KRETPROBE(bash_readline, char *line)
{
	struct scratch *s;
	struct rec_bash_readline *r;
	long n;

	if (!line || skip_self())
		return 0;
	s = get_scratch(REC_BASH_READLINE);
	if (!s)
		return 0;
	r = (struct rec_bash_readline *)s->buf;
	fill_hdr(&r->hdr, REC_BASH_READLINE, sizeof(*r));
	fill_task(&r->task, (struct task_struct *)bpf_get_current_task());
	r->flags = 0;
	n = bpf_probe_read_user_str(&s->buf[sizeof(*r)], BASH_LINE_MAX, line);
	if (n <= 1) /* an empty line (just Enter) says nothing */
		return 0;
	if (n == BASH_LINE_MAX)
		r->flags |= BASHF_TRUNCATED;
	r->line_len = (u32)(n - 1); /* without the NUL */
	output_scratch(s, sizeof(*r) + r->line_len, REC_BASH_READLINE);
	return 0;
}
