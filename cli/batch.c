/* batch.c -- `dnnf batch DIR -o OUT [-j N] [--run] [-r RULES]... [--max-draw N]`
 *
 * Every model of DIR (*.onnx, *.graph) through the pipeline, N at a time,
 * each in a worker process of its own: the dnnf binary itself, run as
 * `dnnf batch --worker MODEL OUTDIR ...`.  A separate process isolates a
 * crash (a corrupt file, a bug) to its model, and lets N models use N
 * cores without any thread in the library.
 *
 * OUT/NAME/ gets optimized.graph, trace.jsonl, report.html, log.txt,
 * kernels.cl (when the OpenCL emitter is in the build) and summary.json
 * (written last: its presence means the model is done); OUT/summary.json
 * and OUT/summary.md list every model with the keys of GUIDE §7.
 *
 * Every file is written as NAME.part and renamed when complete
 * (report_file.c).  SIGINT and SIGTERM are not handled asynchronously:
 * the parent blocks them and waits for them with sigtimedwait() together
 * with SIGCHLD, so there is no handler and no global flag.  On either it
 * terminates the workers (each leads a process group of its own, so the
 * Graphviz it may be running goes too), waits for them, removes their
 * *.part files and exits with 128 + the signal number. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* The worker: one model                                                */
/* ------------------------------------------------------------------ */

static void json_num(FILE *f, const char *key, double v, int have)
{
    fprintf(f, ", \"%s\": ", key);
    if (have)
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void json_int(FILE *f, const char *key, long long v, int have)
{
    fprintf(f, ", \"%s\": ", key);
    if (have)
        fprintf(f, "%lld", v);
    else
        fputs("null", f);
}

/* The model's line of the summary: GUIDE §7's keys first. */
static void worker_summary(FILE *f, const char *name, const rp_model *m, int run, int check_ok,
                           double worst, double scale)
{
    const rp_summary *s = &m->after.s;
    fputs("{\"model\": ", f);
    cli_json_str(f, name);
    json_int(f, "nodes", m->nodes_given, 1);
    json_int(f, "compute_ops", m->given, 1);
    json_int(f, "kernels", s->kernels, s->have);
    json_num(f, "fusion_rate", rp_fusion_rate(m, s), s->have);
    json_int(f, "layout_kernels", s->layout_kernels, s->have);
    json_int(f, "irs_bytes", s->irs_bytes, s->have);
    json_int(f, "irs_bytes_unfused", m->before.s.irs_bytes_unfused, s->have);
    json_num(f, "flops", s->have ? s->flops : m->res.flops_after, 1);
    json_num(f, "optimize_ms", m->optimize_ms, 1);
    json_int(f, "unknown_dims", m->fold.unknown_dims, 1);
    fprintf(f, ", \"status\": \"%s\"", run && !check_ok ? "mismatch" : "ok");
    json_int(f, "compute_ops_folded", m->before.s.compute_ops, 1);
    json_int(f, "compute_ops_after", m->after.s.compute_ops, 1);
    json_int(f, "kernels_as_given", m->before.s.kernels, m->before.s.have);
    json_int(f, "rewrites", m->res.applied, 1);
    fprintf(f, ", \"stop\": \"%s\"", eg_stop_name(m->res.stop));
    fputs(", \"check\": ", f);
    fputs(!run ? "null" : check_ok ? "\"ok\"" : "\"mismatch\"", f);
    json_num(f, "max_error", worst, run);
    json_num(f, "max_output", scale, run);
    fputs(", \"path\": ", f);
    cli_json_str(f, m->path);
    fputs("}\n", f);
}

static int write_graph(const char *path, const ir_graph *g, dn_err *e)
{
    rp_file o;
    if (rp_file_open(&o, path, e)) return -1;
    ir_print(g, o.f);
    return rp_file_commit(&o, e);
}

/* The generated OpenCL of every block, one after the other, when the
   emitter is in the build (each kernel starts with a comment naming its
   block and nodes); nothing otherwise. */
static int write_kernels(const char *dir, const rp_view *v, dn_err *e)
{
    int any = 0;
    for (int i = 0; i < v->nblocks; i++)
        any |= v->blocks[i].kernel != NULL;
    if (!any) return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/kernels.cl", dir);
    rp_file o;
    if (rp_file_open(&o, path, e)) return -1;
    for (int i = 0; i < v->nblocks; i++) {
        const rp_block *b = &v->blocks[i];
        fprintf(o.f, "/* ---- block %d: %s ---- */\n", b->id, b->ops);
        if (b->kernel)
            fprintf(o.f, "%s\n", b->kernel);
        else
            fprintf(o.f, "/* no kernel: %s */\n\n",
                    b->kernel_note ? b->kernel_note : "not generated");
    }
    return rp_file_commit(&o, e);
}

/* dnnf batch --worker MODEL OUTDIR [--run] [--max-draw N] [-r RULES]... */
static int worker(int argc, char **argv)
{
    rp_options o;
    rp_options_default(&o);
    const char *dir = NULL;
    int run = 0, max_draw = 400;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--run"))
            run = 1;
        else if (!strcmp(argv[i], "-r") && i + 1 < argc && o.nrules < 64)
            o.rules[o.nrules++] = argv[++i];
        else if (!strcmp(argv[i], "--max-draw") && i + 1 < argc)
            max_draw = atoi(argv[++i]);
        else if (!o.model)
            o.model = argv[i];
        else if (!dir)
            dir = argv[i];
        else
            return cli_usage("batch", "worker: unexpected %s", argv[i]);
    }
    if (!o.model || !dir || max_draw <= 0) return cli_usage("batch", "worker: MODEL OUTDIR");
    /* --run checks the optimized graph against the model with the
       reference interpreter: it needs weights, and the shared models
       carry none, so missing ones are pseudo-random (seed 0) */
    o.weights = o.random = run;
    const char *name = strrchr(o.model, '/');
    name = name ? name + 1 : o.model;
    dn_err e;
    rp_model m;
    char path[4096];
    int rc = rp_model_run(&o, &m, &e);
    int check_ok = 1;
    double worst = 0, scale = 0;
    if (!rc) {
        snprintf(path, sizeof path, "%s/optimized.graph", dir);
        rc = write_graph(path, m.h, &e);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/trace.jsonl", dir);
        rc = rp_file_put(path, m.trace ? m.trace : "", m.trace_len, &e);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/report.html", dir);
        dn_err warn;
        rc = rp_report_write(&m, path, max_draw, &warn, &e);
        if (!rc && warn.msg[0]) printf("warning: the report has no pictures: %s\n", warn.msg);
    }
    if (!rc) rc = write_kernels(dir, &m.after, &e);
    if (!rc && run) {
        rc = rp_check(&m, &worst, &scale, &e);
        if (!rc) {
            double tol = 1e-4 * (scale > 0 ? scale : 1);
            check_ok = worst <= tol;
            printf("check: max abs error %.3g, tolerance %.3g: %s\n", worst, tol,
                   check_ok ? "ok" : "MISMATCH");
        }
    }
    if (!rc) {
        rp_file f;
        snprintf(path, sizeof path, "%s/summary.json", dir);
        rc = rp_file_open(&f, path, &e);
        if (!rc) {
            worker_summary(f.f, name, &m, run, check_ok, worst, scale);
            rc = rp_file_commit(&f, &e);
        }
    }
    rp_model_free(&m);
    /* a mismatch is in the summary ("status": "mismatch"); the parent
       counts it as a failure */
    return rc ? cli_fail(&e) : CLI_OK;
}

/* ------------------------------------------------------------------ */
/* The parent: the models, the workers, the summary                      */
/* ------------------------------------------------------------------ */

enum { ST_PENDING = 0, ST_RUNNING, ST_OK, ST_FAILED };

typedef struct job {
    char *file;     /* DIR/NAME.onnx */
    char name[256]; /* output folder name */
    char dir[4096]; /* OUT/NAME */
    int state;
    pid_t pid;
    double t0, secs;
    char msg[512]; /* why it failed */
    char *summary; /* the worker's summary.json line */
} job;

typedef struct batch {
    const char *out;
    job *jobs;
    int njobs;
    int done, failed, running;
    int tty;
    char self[4096]; /* this dnnf binary */
    char **wargs;    /* arguments passed on to every worker */
    int nwargs;
} batch;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The models of dir, sorted by name. */
static int list_models(const char *dir, char ***files, int *n, dn_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return dn_errf(e, "%s: cannot open the folder: %s", dir, strerror(errno));
    struct dirent *de;
    int cap = 16;
    *n = 0;
    *files = malloc((size_t)cap * sizeof **files);
    if (!*files) abort();
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' ||
            !(cli_ends_with(de->d_name, ".onnx") || cli_ends_with(de->d_name, ".graph")))
            continue;
        if (*n == cap && !(*files = realloc(*files, (size_t)(cap *= 2) * sizeof **files))) abort();
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(len);
        if (!p) abort();
        snprintf(p, len, "%s/%s", dir, de->d_name);
        (*files)[(*n)++] = p;
    }
    closedir(d);
    qsort(*files, (size_t)*n, sizeof **files, cmp_str);
    return 0;
}

/* Removes every *.part file in dir (what a killed worker left). */
static void remove_parts(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    char path[4400];
    while ((de = readdir(d)))
        if (cli_ends_with(de->d_name, RP_PART)) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
    closedir(d);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, k;
    char *buf = malloc(cap);
    if (!buf) abort();
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 >= cap && !(buf = realloc(buf, cap *= 2))) abort();
    }
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* A number from the flat JSON object a worker wrote ("key": value). */
static int json_get(const char *obj, const char *key, char *buf, size_t n)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = obj ? strstr(obj, pat) : NULL;
    if (!p) return -1;
    p += strlen(pat);
    size_t k = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && k + 1 < n; p++)
            buf[k++] = *p == '\\' && p[1] ? *++p : *p;
    } else
        while (*p && *p != ',' && *p != '}' && k + 1 < n)
            buf[k++] = *p++;
    buf[k] = 0;
    return strcmp(buf, "null") ? 0 : -1;
}

static void start(batch *b, job *j, const sigset_t *oldmask)
{
    char log[4400];
    snprintf(log, sizeof log, "%s/log.txt%s", j->dir, RP_PART);
    /* argv: dnnf batch --worker MODEL DIR [passed on...] */
    char **av = calloc((size_t)b->nwargs + 6, sizeof *av);
    if (!av) abort();
    int k = 0;
    av[k++] = b->self;
    av[k++] = "batch";
    av[k++] = "--worker";
    av[k++] = j->file;
    av[k++] = j->dir;
    for (int i = 0; i < b->nwargs; i++)
        av[k++] = b->wargs[i];
    av[k] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        /* a process group of its own: a terminal's ^C reaches only the
           parent, which then stops the worker and whatever it runs */
        setpgid(0, 0);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        sigprocmask(SIG_SETMASK, oldmask, NULL);
        execv(b->self, av);
        fprintf(stderr, "dnnf: cannot run %s: %s\n", b->self, strerror(errno));
        _exit(127);
    }
    free(av);
    if (pid < 0) {
        j->state = ST_FAILED;
        snprintf(j->msg, sizeof j->msg, "cannot start a worker: %s", strerror(errno));
        b->done++;
        b->failed++;
        return;
    }
    setpgid(pid, pid); /* also here: whichever runs first */
    j->pid = pid;
    j->state = ST_RUNNING;
    j->t0 = cli_now_ms() / 1e3;
    b->running++;
}

/* The last non-empty line of the worker's log: its error message. */
static void last_line(const char *log, char *msg, size_t n)
{
    char *text = read_file(log);
    msg[0] = 0;
    if (!text) return;
    char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        *--end = 0;
    char *p = strrchr(text, '\n');
    p = p ? p + 1 : text;
    if (!strncmp(p, "dnnf: ", 6)) p += 6;
    snprintf(msg, n, "%s", p);
    free(text);
}

static void finished(batch *b, job *j, int status)
{
    char log[4400], part[4500], path[4400];
    j->secs = cli_now_ms() / 1e3 - j->t0;
    b->running--;
    b->done++;
    snprintf(log, sizeof log, "%s/log.txt", j->dir);
    snprintf(part, sizeof part, "%s%s", log, RP_PART);
    rename(part, log);
    snprintf(path, sizeof path, "%s/summary.json", j->dir);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && (j->summary = read_file(path))) {
        size_t n = strlen(j->summary);
        while (n && (j->summary[n - 1] == '\n' || j->summary[n - 1] == ' '))
            j->summary[--n] = 0;
        char st[64], err[64];
        if (json_get(j->summary, "status", st, sizeof st) || strcmp(st, "ok")) {
            j->state = ST_FAILED;
            b->failed++;
            json_get(j->summary, "max_error", err, sizeof err);
            snprintf(j->msg, sizeof j->msg, "check: optimized graph differs (max abs error %s)",
                     err);
            return;
        }
        j->state = ST_OK;
        return;
    }
    j->state = ST_FAILED;
    b->failed++;
    if (WIFSIGNALED(status))
        snprintf(j->msg, sizeof j->msg, "crashed (signal %d: %s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else {
        last_line(log, j->msg, sizeof j->msg);
        if (!j->msg[0]) snprintf(j->msg, sizeof j->msg, "exit status %d", WEXITSTATUS(status));
    }
    remove_parts(j->dir);
    /* a summary.json of an earlier run would now be wrong */
    unlink(path);
}

static void progress(const batch *b, int final)
{
    if (!b->tty) return;
    int width = 30, filled = b->njobs ? b->done * width / b->njobs : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r\033[K[%s] %d/%d done, %d failed", bar, b->done, b->njobs, b->failed);
    if (b->running) {
        fputs(", running:", stderr);
        int shown = 0;
        for (int i = 0; i < b->njobs && shown < 4; i++)
            if (b->jobs[i].state == ST_RUNNING) fprintf(stderr, " %s", b->jobs[i].name), shown++;
        if (shown < b->running) fputs(" ...", stderr);
    }
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

/* One line per finished model (on a terminal above the bar). */
static void report_line(const batch *b, const job *j)
{
    if (b->tty) fputs("\r\033[K", stderr);
    fprintf(stderr, "[%*d/%d] %-6s %-24s %6.1f s%s%s\n", b->njobs >= 10 ? 2 : 1, b->done, b->njobs,
            j->state == ST_OK ? "ok" : "FAILED", j->name, j->secs, j->msg[0] ? "  " : "", j->msg);
}

static void md_cell(FILE *f, const char *obj, const char *key, const char *fmt, double scale)
{
    char v[128];
    if (json_get(obj, key, v, sizeof v)) {
        fputs(" | ", f);
        return;
    }
    if (fmt) {
        fputs(" | ", f);
        fprintf(f, fmt, atof(v) * scale);
    } else
        fprintf(f, " | %s", v);
}

static void md_text(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '|')
            fputs("\\|", f);
        else if (*s != '\n')
            fputc(*s, f);
}

static int write_summaries(const batch *b, dn_err *e)
{
    char path[4400];
    rp_file o;
    snprintf(path, sizeof path, "%s/summary.json", b->out);
    if (rp_file_open(&o, path, e)) return -1;
    fputs("[\n", o.f);
    for (int i = 0; i < b->njobs; i++) {
        const job *j = &b->jobs[i];
        fputs(i ? ",\n" : "", o.f);
        if (j->state == ST_OK)
            fputs(j->summary, o.f);
        else {
            const char *slash = strrchr(j->file, '/');
            fputs("{\"model\": ", o.f);
            cli_json_str(o.f, slash ? slash + 1 : j->file);
            fputs(", \"status\": \"error\", \"error\": ", o.f);
            cli_json_str(o.f, j->msg);
            fputs(", \"path\": ", o.f);
            cli_json_str(o.f, j->file);
            fputs("}", o.f);
        }
    }
    fputs("\n]\n", o.f);
    if (rp_file_commit(&o, e)) return -1;

    snprintf(path, sizeof path, "%s/summary.md", b->out);
    if (rp_file_open(&o, path, e)) return -1;
    FILE *f = o.f;
    fprintf(f,
            "# dnnf batch: %d models, %d ok, %d failed\n\n"
            "compute_ops: of the model as given; after: after folding and rewriting; "
            "fusion_rate: compute_ops / kernels; irs: intermediate tensors written (MB); "
            "optimize_ms: load + rewrite + fuse (GUIDE §7).%s\n\n"
            "| model | status | nodes | compute_ops | after | kernels | fusion_rate | "
            "layout_kernels | irs (MB) | optimize_ms | check |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
            b->njobs, b->njobs - b->failed, b->failed,
            rp_have_fusion() ? "" : " This dnnf has no fusion/: no kernels.");
    for (int i = 0; i < b->njobs; i++) {
        const job *j = &b->jobs[i];
        const char *slash = strrchr(j->file, '/');
        fputs("| ", f);
        md_text(f, slash ? slash + 1 : j->file);
        if (j->state != ST_OK) {
            fputs(" | error: ", f);
            md_text(f, j->msg);
            fputs(" | | | | | | | | | |\n", f);
            continue;
        }
        fputs(" | ok", f);
        md_cell(f, j->summary, "nodes", NULL, 1);
        md_cell(f, j->summary, "compute_ops", NULL, 1);
        md_cell(f, j->summary, "compute_ops_after", NULL, 1);
        md_cell(f, j->summary, "kernels", NULL, 1);
        md_cell(f, j->summary, "fusion_rate", "%.2fx", 1);
        md_cell(f, j->summary, "layout_kernels", NULL, 1);
        md_cell(f, j->summary, "irs_bytes", "%.1f", 1e-6);
        md_cell(f, j->summary, "optimize_ms", "%.0f", 1);
        md_cell(f, j->summary, "check", NULL, 1);
        fputs(" |\n", f);
    }
    return rp_file_commit(&o, e);
}

/* Stops every running worker and its children, waits for them, removes
   what they left half-written. */
static void stop_all(batch *b)
{
    for (int i = 0; i < b->njobs; i++)
        if (b->jobs[i].state == ST_RUNNING) kill(-b->jobs[i].pid, SIGTERM);
    for (int i = 0; i < b->njobs; i++) {
        job *j = &b->jobs[i];
        if (j->state != ST_RUNNING) continue;
        int status;
        while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR) {
        }
        remove_parts(j->dir);
        j->state = ST_FAILED;
    }
}

static int run_batch(batch *b, int jobs)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    int next = 0, sig = 0;
    progress(b, 0);
    while (b->done < b->njobs) {
        while (b->running < jobs && next < b->njobs)
            start(b, &b->jobs[next++], &old);
        if (b->done >= b->njobs) break;
        struct timespec tick = {0, 200 * 1000 * 1000}; /* progress refresh */
        siginfo_t info;
        int s = sigtimedwait(&set, &info, &tick);
        if (s == SIGINT || s == SIGTERM) {
            sig = s;
            break;
        }
        /* SIGCHLD, or a tick: reap whatever finished */
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid <= 0) break;
            for (int i = 0; i < b->njobs; i++)
                if (b->jobs[i].state == ST_RUNNING && b->jobs[i].pid == pid) {
                    finished(b, &b->jobs[i], status);
                    report_line(b, &b->jobs[i]);
                    break;
                }
        }
        progress(b, 0);
    }
    if (sig) {
        if (b->tty) fputs("\r\033[K", stderr);
        fprintf(stderr, "dnnf batch: %s: stopping %d worker%s\n",
                sig == SIGINT ? "interrupted" : "terminated", b->running,
                b->running == 1 ? "" : "s");
        stop_all(b);
        remove_parts(b->out);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return 128 + sig;
    }
    progress(b, 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int cli_batch(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--worker")) return worker(argc, argv);
    const char *dir = NULL, *out = NULL;
    int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), run = 0;
    char *wargs[140];
    int nw = 0;
    if (jobs < 1) jobs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int need = i + 1 < argc;
        if (!strcmp(a, "-o")) {
            if (!need) return cli_usage("batch", "-o needs a folder");
            out = argv[++i];
        } else if (!strcmp(a, "-j")) {
            char *end;
            if (!need) return cli_usage("batch", "-j needs a number");
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 256)
                return cli_usage("batch", "-j needs a number from 1 to 256");
            jobs = (int)v;
        } else if (!strcmp(a, "--run")) {
            run = 1;
        } else if (!strcmp(a, "-r") || !strcmp(a, "--rules") || !strcmp(a, "--max-draw")) {
            if (!need) return cli_usage("batch", "%s needs a value", a);
            if (nw + 2 > 128) return cli_usage("batch", "too many options");
            wargs[nw++] = !strcmp(a, "--max-draw") ? "--max-draw" : "-r";
            wargs[nw++] = argv[++i];
        } else if (a[0] == '-' && a[1])
            return cli_usage("batch", "unknown option %s", a);
        else if (dir)
            return cli_usage("batch", "one folder at a time (got %s and %s)", dir, a);
        else
            dir = a;
    }
    if (!dir) return cli_usage("batch", "no folder of models given");
    if (!out) return cli_usage("batch", "no output folder given (-o OUT)");
    if (run) wargs[nw++] = "--run";

    dn_err e;
    char **files = NULL;
    int n = 0;
    if (list_models(dir, &files, &n, &e)) return cli_fail(&e);
    if (!n) {
        free(files);
        fprintf(stderr, "dnnf: %s: no .onnx or .graph model in the folder\n", dir);
        return CLI_ERR;
    }
    batch b = {.out = out, .njobs = n, .tty = isatty(2), .wargs = wargs, .nwargs = nw};
    ssize_t k = readlink("/proc/self/exe", b.self, sizeof b.self - 1);
    if (k > 0)
        b.self[k] = 0;
    else /* no /proc: argv[-1] is how main() was called ("dnnf" on PATH, or a path) */
        snprintf(b.self, sizeof b.self, "%s", argv[-1]);
    b.jobs = calloc((size_t)n, sizeof *b.jobs);
    if (!b.jobs) abort();
    int rc = cli_mkdirs(out, &e) ? cli_fail(&e) : CLI_OK;
    for (int i = 0; i < n && rc == CLI_OK; i++) {
        job *j = &b.jobs[i];
        j->file = files[i];
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        char stem[256];
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot) *dot = 0;
        cli_out_name(stem, j->name, sizeof j->name);
        /* a.onnx next to a.graph: the second keeps its extension */
        for (int p = 0; p < i; p++)
            if (!strcmp(b.jobs[p].name, j->name)) cli_out_name(base, j->name, sizeof j->name);
        snprintf(j->dir, sizeof j->dir, "%s/%s", out, j->name);
        if (cli_mkdirs(j->dir, &e)) rc = cli_fail(&e);
    }
    if (rc == CLI_OK) {
        int s = run_batch(&b, jobs);
        if (s)
            rc = s;
        else if (write_summaries(&b, &e))
            rc = cli_fail(&e);
        else {
            printf("%d model%s: %d ok, %d failed; summary in %s/summary.md and %s/summary.json\n",
                   n, n == 1 ? "" : "s", n - b.failed, b.failed, out, out);
            for (int i = 0; i < n; i++) {
                const job *j = &b.jobs[i];
                if (j->state == ST_OK) continue;
                /* most messages already start with the file's name */
                if (!strncmp(j->msg, j->file, strlen(j->file)))
                    printf("  FAILED %s\n", j->msg);
                else
                    printf("  FAILED %s: %s\n", j->file, j->msg);
            }
            rc = b.failed ? CLI_ERR : CLI_OK;
        }
    }
    for (int i = 0; i < n; i++) {
        free(files[i]);
        free(b.jobs[i].summary);
    }
    free(files);
    free(b.jobs);
    return rc;
}
