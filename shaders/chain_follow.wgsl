// One frame step of every track (`chain::follow`, `State::step`, with the window refinement
// of `chain::refine`): frame `src` -> frame `dst` (= src + 1 in the forward sweep, src - 1
// in the backward one) with that pair's flow and reliability map. One invocation per track;
// a track takes part once the sweep has reached its query frame, where its state starts
// (`State::start`). Each invocation reads only its own state, so a sweep of these
// dispatches computes what the CPU's per-track loop computes.
//
// Float operations in the CPU's order; WGSL may fuse a * b + c into one rounding, so
// positions agree to ~1e-4 px rather than bit for bit.

struct Params {
    w: u32,
    h: u32,
    n: u32,
    // Tracks per row of the 2-D dispatch.
    row: u32,
    src: u32,
    dst: u32,
    fb_rel: f32,
    fb_abs: f32,
    refine_max_shift: f32,
    resume_max_blind: f32,
    confidence_radius: f32,
    guess_rel: f32,
    guess_abs: f32,
    _pad: u32,
}

// `follow::State`; flags: bit 0 visible, bit 1 left the image.
struct State {
    p: vec2<f32>,
    v: vec2<f32>,
    // The position reported while hidden, and its velocity.
    guess: vec2<f32>,
    guess_v: vec2<f32>,
    blind: f32,
    drift: f32,
    flags: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> fa: array<f32>;
@group(0) @binding(1) var<storage, read_write> fb: array<f32>;
@group(0) @binding(2) var<storage, read_write> flow: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> err: array<f32>;
@group(0) @binding(4) var<storage, read_write> states: array<State>;
// Per track: query x, y, frame (as f32), unused.
@group(0) @binding(5) var<storage, read_write> seeds: array<vec4<f32>>;
// Per frame and track (t * n + j): x, y, visible (0 or 1), confidence.
@group(0) @binding(6) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> p: Params;

const VISIBLE: u32 = 1u;
const LEFT: u32 = 2u;

fn flow_at(q: vec2<f32>) -> vec2<f32> {
    let ax = axis(q.x, p.w);
    let ay = axis(q.y, p.h);
    return bilinear_of(ax, ay, flow[ay.i0 * p.w + ax.i0], flow[ay.i0 * p.w + ax.i1], flow[ay.i1 * p.w + ax.i0], flow[ay.i1 * p.w + ax.i1]);
}

// Frame values at a sub-pixel position: the pyramid's replicated-border bilinear.
fn sample_a(x: f32, y: f32) -> f32 {
    let t = taps(p.w, p.h, x, y);
    return lerp_taps(t, fa[t.i00], fa[t.i01], fa[t.i10], fa[t.i11]);
}

fn sample_b(x: f32, y: f32) -> f32 {
    let t = taps(p.w, p.h, x, y);
    return lerp_taps(t, fb[t.i00], fb[t.i01], fb[t.i10], fb[t.i11]);
}

// `refine`: 7x7 windows, a one-pixel border on the template for its gradients.
const RADIUS: i32 = 3;
const SIDE: i32 = 7;
const NPX: i32 = 49;
const SIDE_B: i32 = 9;
const ITERS: i32 = 5;
const SAME_REL: f32 = 0.01;
const SAME_ABS: f32 = 0.5;
const MIN_PIXELS: u32 = 25u;

var<private> mask: array<f32, 49>;
var<private> tmpl: array<f32, 49>;
var<private> gx: array<f32, 49>;
var<private> gy: array<f32, 49>;
var<private> win: array<f32, 49>;
var<private> win2: array<f32, 49>;

// `refine::window` into `win2`: frame b's window at `c`, mean-normalised over the mask.
fn window_b(c: vec2<f32>, count: f32) {
    var sum = 0.0;
    for (var j = 0; j < SIDE; j++) {
        for (var i = 0; i < SIDE; i++) {
            let s = sample_b(c.x + f32(i - RADIUS), c.y + f32(j - RADIUS));
            win2[j * SIDE + i] = s;
            sum += mask[j * SIDE + i] * s;
        }
    }
    let mean = sum / count;
    for (var k = 0; k < NPX; k++) {
        win2[k] = mask[k] * (win2[k] - mean);
    }
}

fn ssd_win2() -> f32 {
    var s = 0.0;
    for (var k = 0; k < NPX; k++) {
        let d = win2[k] - tmpl[k];
        s += d * d;
    }
    return s;
}

// The refined position (x, y) and 1 in z, or z = 0 where `refine` returns None.
fn refine(pt: vec2<f32>, q: vec2<f32>) -> vec3<f32> {
    if (p.w < 2u || p.h < 2u) {
        return vec3<f32>(q, 0.0);
    }
    var tb: array<f32, 81>;
    for (var j = 0; j < SIDE_B; j++) {
        for (var i = 0; i < SIDE_B; i++) {
            tb[j * SIDE_B + i] = sample_a(pt.x + f32(i - RADIUS - 1), pt.y + f32(j - RADIUS - 1));
        }
    }
    let w_p = q - pt;
    var count = 0u;
    for (var j = 0; j < SIDE; j++) {
        for (var i = 0; i < SIDE; i++) {
            let k = nearest(pt.x + f32(i - RADIUS), pt.y + f32(j - RADIUS), p.w, p.h);
            var m = 0.0;
            if (err[k] >= 0.0 && consistent(flow[k], -w_p, SAME_REL, SAME_ABS) >= 0.0) {
                m = 1.0;
                count += 1u;
            }
            mask[j * SIDE + i] = m;
        }
    }
    if (count < MIN_PIXELS) {
        return vec3<f32>(q, 0.0);
    }
    var st = 0.0;
    var sgx = 0.0;
    var sgy = 0.0;
    for (var j = 0; j < SIDE; j++) {
        for (var i = 0; i < SIDE; i++) {
            let k = (j + 1) * SIDE_B + i + 1;
            let o = j * SIDE + i;
            tmpl[o] = tb[k];
            gx[o] = 0.5 * (tb[k + 1] - tb[k - 1]);
            gy[o] = 0.5 * (tb[k + SIDE_B] - tb[k - SIDE_B]);
            st += mask[o] * tmpl[o];
            sgx += mask[o] * gx[o];
            sgy += mask[o] * gy[o];
        }
    }
    let c = f32(count);
    let mt = st / c;
    let mgx = sgx / c;
    let mgy = sgy / c;
    var hxx = 0.0;
    var hxy = 0.0;
    var hyy = 0.0;
    for (var o = 0; o < NPX; o++) {
        tmpl[o] = mask[o] * (tmpl[o] - mt);
        gx[o] = mask[o] * (gx[o] - mgx);
        gy[o] = mask[o] * (gy[o] - mgy);
        hxx += gx[o] * gx[o];
        hxy += gx[o] * gy[o];
        hyy += gy[o] * gy[o];
    }
    let det = hxx * hyy - hxy * hxy;
    let trace = hxx + hyy;
    if (!(trace > 1e-6 && det > 1e-3 * trace * trace)) {
        return vec3<f32>(q, 0.0);
    }
    var cur = q;
    window_b(cur, c);
    for (var k = 0; k < NPX; k++) {
        win[k] = win2[k];
    }
    var cost = ssd_win2();
    for (var it = 0; it < ITERS; it++) {
        var bx = 0.0;
        var by = 0.0;
        for (var o = 0; o < NPX; o++) {
            let r = win[o] - tmpl[o];
            bx += gx[o] * r;
            by += gy[o] * r;
        }
        let dx = (hyy * bx - hxy * by) / det;
        let dy = (hxx * by - hxy * bx) / det;
        let next = vec2<f32>(cur.x - dx, cur.y - dy);
        let ox = next.x - q.x;
        let oy = next.y - q.y;
        if (!(ox * ox + oy * oy <= p.refine_max_shift * p.refine_max_shift)) {
            break;
        }
        window_b(next, c);
        let c2 = ssd_win2();
        if (!(c2 < cost)) {
            break;
        }
        cur = next;
        for (var k = 0; k < NPX; k++) {
            win[k] = win2[k];
        }
        cost = c2;
        if (dx * dx + dy * dy < 1e-4) {
            break;
        }
    }
    return vec3<f32>(cur, 1.0);
}

// `State::confidence`.
fn confidence(s: State) -> f32 {
    if ((s.flags & VISIBLE) == 0u) {
        return 0.0;
    }
    if (s.drift > 0.0) {
        return 1.0 - exp(-(p.confidence_radius * p.confidence_radius) / s.drift);
    }
    return 1.0;
}

fn record(t: u32, j: u32, s: State) {
    var vis = 0.0;
    if ((s.flags & VISIBLE) != 0u) {
        vis = 1.0;
    }
    var pos = s.guess;
    if ((s.flags & VISIBLE) != 0u) {
        pos = s.p;
    }
    out[t * p.n + j] = vec4<f32>(pos, vis, confidence(s));
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let j = g.y * p.row + g.x;
    if (g.x >= p.row || j >= p.n) {
        return;
    }
    let seed = seeds[j];
    let q = u32(seed.z);
    let forward = p.dst > p.src;
    // Tracks join the sweep at their query frame.
    if ((forward && q > p.src) || (!forward && q < p.src)) {
        return;
    }
    var s: State;
    if (q == p.src) {
        // `State::start`: the first flow it takes is its initial velocity.
        let w0 = flow_at(seed.xy);
        var v0 = vec2<f32>(0.0, 0.0);
        if (finite2(w0)) {
            v0 = w0;
        }
        s = State(seed.xy, v0, seed.xy, v0, 0.0, 0.0, VISIBLE, 0u);
        record(q, j, s);
    } else {
        s = states[j];
    }

    let w = flow_at(s.p);
    let w_ok = finite2(w);
    let e = err[nearest(s.p.x, s.p.y, p.w, p.h)];
    let visible = (s.flags & VISIBLE) != 0u;
    let left = (s.flags & LEFT) != 0u;
    let agrees = w_ok && consistent(w, -s.v, p.fb_rel, p.fb_abs) >= 0.0;
    let resume = !visible && !left && s.blind <= p.resume_max_blind && agrees;
    if ((visible || resume) && e >= 0.0 && w_ok) {
        var nq = vec2<f32>(s.p.x + w.x, s.p.y + w.y);
        if (p.refine_max_shift > 0.0) {
            let m = refine(s.p, nq);
            if (m.z > 0.0) {
                nq = m.xy;
            }
        }
        s.v = w;
        s.p = nq;
        s.blind = 0.0;
        s.guess = nq;
        s.guess_v = w;
        if (inside(nq.x, nq.y, p.w, p.h)) {
            s.flags = s.flags | VISIBLE;
            s.drift += 0.5 * e;
        } else {
            s.flags = (s.flags & ~VISIBLE) | LEFT;
        }
    } else {
        s.flags = s.flags & ~VISIBLE;
        let gw = flow_at(s.guess);
        var gm = s.guess_v;
        if (finite2(gw) && consistent(gw, -s.guess_v, p.guess_rel, p.guess_abs) >= 0.0) {
            gm = gw;
        }
        s.guess = vec2<f32>(s.guess.x + gm.x, s.guess.y + gm.y);
        s.guess_v = gm;
        var m = s.v;
        if (agrees) {
            m = w;
        } else {
            s.blind += sqrt(m.x * m.x + m.y * m.y);
        }
        s.p = vec2<f32>(s.p.x + m.x, s.p.y + m.y);
        s.v = m;
        if (!inside(s.p.x, s.p.y, p.w, p.h)) {
            s.flags = s.flags | LEFT;
        }
    }
    states[j] = s;
    record(p.dst, j, s);
}
