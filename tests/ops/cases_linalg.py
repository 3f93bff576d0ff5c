"""Linear algebra (engine/op_linalg.c, engine/gemm.c): MatMul, Gemm, Einsum."""
import numpy as np

from opcase import case, const, inp

F = "f32"
CASES = []
add = CASES.append

# ---- MatMul -------------------------------------------------------------------
add(case("MatMul", [inp("A", F, [3, 4]), inp("B", F, [4, 5])], name="mm_2d"))
add(case("MatMul", [inp("A", F, [4]), inp("B", F, [4, 5])], name="mm_1d_2d"))
add(case("MatMul", [inp("A", F, [3, 4]), inp("B", F, [4])], name="mm_2d_1d"))
add(case("MatMul", [inp("A", F, [4]), inp("B", F, [4])], name="mm_1d_1d"))
add(case("MatMul", [inp("A", F, [4]), inp("B", F, [2, 4, 3])], name="mm_1d_batched"))
add(case("MatMul", [inp("A", F, [2, 3, 4]), inp("B", F, [4])], name="mm_batched_1d"))
add(case("MatMul", [inp("A", F, [2, 1, 3, 4]), inp("B", F, [5, 4, 2])], name="mm_bcast_batch"))
add(case("MatMul", [inp("A", F, [3, 4]), inp("B", F, [2, 4, 6])], name="mm_bcast_a"))
add(case("MatMul", [inp("A", F, [1, 12, 128, 64]), inp("B", F, [1, 12, 64, 128])],
         name="mm_attention", tol=1e-4))
add(case("MatMul", [inp("A", F, [1, 128, 768]), const("W", np.random.default_rng(1).standard_normal(
    (768, 3072)).astype(np.float32) * 0.05, F)], name="mm_bert_ffn", tol=1e-4))
add(case("MatMul", [inp("A", F, [2, 37, 65]), inp("B", F, [2, 65, 19])], name="mm_odd_sizes"))
add(case("MatMul", [inp("A", F, [1, 1, 300]), inp("B", F, [300, 257])], name="mm_row_vector"))
add(case("MatMul", [inp("A", F, [0, 4]), inp("B", F, [4, 3])], name="mm_empty_m"))
add(case("MatMul", [inp("A", F, [2, 0]), inp("B", F, [0, 3])], name="mm_empty_k"))
add(case("MatMul", [inp("A", F, [0, 2, 4]), inp("B", F, [4, 3])], name="mm_empty_batch"))
add(case("MatMul", [inp("A", "i64", [2, 3], -9, 9), inp("B", "i64", [3, 2], -9, 9)], name="mm_i64"))
add(case("MatMul", [inp("A", "i32", [2, 2, 3], -9, 9), inp("B", "i32", [3, 4], -9, 9)],
         name="mm_i32"))
add(case("MatMul", [inp("A", "f64", [3, 5]), inp("B", "f64", [5, 2])], name="mm_f64"))

# ---- Gemm ----------------------------------------------------------------------
add(case("Gemm", [inp("A", F, [3, 4]), inp("B", F, [4, 5]), inp("C", F, [5])], name="gemm_basic"))
add(case("Gemm", [inp("A", F, [4, 3]), inp("B", F, [5, 4]), inp("C", F, [3, 5])],
         transA=1, transB=1, alpha=0.5, beta=2.0, name="gemm_trans_alpha_beta"))
add(case("Gemm", [inp("A", F, [3, 4]), inp("B", F, [5, 4]), inp("C", F, [3, 1])], transB=1,
         name="gemm_c_col"))
add(case("Gemm", [inp("A", F, [3, 4]), inp("B", F, [4, 5]), const("C", 1.5, F)], name="gemm_c_scalar"))
add(case("Gemm", [inp("A", F, [3, 4]), inp("B", F, [4, 5]), inp("C", F, [1, 5])], beta=-1.0,
         name="gemm_c_row_neg_beta"))
add(case("Gemm", [inp("A", F, [3, 4]), inp("B", F, [4, 5])], name="gemm_no_c"))
add(case("Gemm", [inp("A", F, [3, 4]), inp("B", F, [4, 5]), inp("C", F, [3, 5])], beta=0.0,
         name="gemm_beta0"))
add(case("Gemm", [inp("A", F, [1, 2048]), const("B", np.random.default_rng(2).standard_normal(
    (1000, 2048)).astype(np.float32) * 0.02, F), const("C", np.linspace(-1, 1, 1000), F)],
    transB=1, name="gemm_classifier", tol=1e-4))
add(case("Gemm", [inp("A", F, [64, 300]), inp("B", F, [300, 200]), inp("C", F, [200])],
         name="gemm_medium", tol=1e-4))
add(case("Gemm", [inp("A", "f64", [3, 4]), inp("B", "f64", [4, 2]), inp("C", "f64", [2])],
         alpha=2.0, name="gemm_f64"))

# ---- Einsum --------------------------------------------------------------------
def es(eq, shapes, name, dtype=F, **kw):
    ins = [inp("X%d" % i, dtype, s, -5, 5) if dtype != F else inp("X%d" % i, dtype, s)
           for i, s in enumerate(shapes)]
    return case("Einsum", ins, equation=eq, name=name, **kw)


add(es("ij,jk->ik", [[3, 4], [4, 5]], "es_matmul"))
add(es("bhid,bhjd->bhij", [[1, 2, 5, 4], [1, 2, 6, 4]], "es_attn_scores"))
add(es("bhij,bhjd->bhid", [[1, 2, 5, 6], [1, 2, 6, 4]], "es_attn_values"))
add(es("bhid,bhjd->bjhi", [[2, 2, 3, 4], [2, 2, 5, 4]], "es_permuted_out"))
add(es("bij,bjk->bik", [[3, 4, 5], [3, 5, 2]], "es_bmm"))
add(es("bqd,kd->bqk", [[2, 3, 4], [5, 4]], "es_shared_b"))
add(es("bsnh,btnh->bnts", [[2, 3, 2, 4], [2, 5, 2, 4]], "es_interleaved"))
add(es("ij->ji", [[3, 4]], "es_transpose"))
add(es("ij->", [[3, 4]], "es_sum_all"))
add(es("ij->i", [[3, 4]], "es_sum_rows"))
add(es("ii->i", [[4, 4]], "es_diag"))
add(es("ii", [[4, 4]], "es_trace"))
add(es("i,j->ij", [[3], [4]], "es_outer"))
add(es("i,i", [[5], [5]], "es_dot_implicit"))
add(es("ij,jk", [[3, 4], [4, 5]], "es_implicit"))
add(es("ba,cb", [[3, 4], [5, 3]], "es_implicit_sorted"))
add(es("...ij,...jk->...ik", [[2, 3, 4], [2, 4, 5]], "es_ellipsis"))
add(es("...j,j", [[2, 3, 4], [4]], "es_ellipsis_implicit"))
add(es("ij,jk,kl->il", [[2, 3], [3, 4], [4, 2]], "es_three"))
add(es("ij,j->ij", [[3, 1], [4]], "es_bcast_label"))
add(es("ij,jk->ik", [[2, 3], [3, 2]], "es_i64", dtype="i64"))
add(es("ij,jk->ik", [[2, 0], [0, 3]], "es_empty_k"))
add(es("ij,ji->", [[3, 4], [4, 3]], "es_trace_of_product"))
add(es("abc,cba->b", [[2, 3, 4], [4, 3, 2]], "es_batch_permuted_k"))
add(es("bij,bkj->bki", [[2, 3, 4], [2, 5, 4]], "es_out_nm"))
add(es("ik,kj->ji", [[3, 4], [4, 5]], "es_out_transposed"))
add(es("i,i->i", [[5], [5]], "es_hadamard"))
add(case("Gemm", [inp("A", F, [128, 96]), const("B", np.random.default_rng(3).standard_normal(
    (96, 288)).astype(np.float32) * 0.1, F), const("C", np.linspace(-1, 1, 288), F)],
    alpha=1.0, beta=1.0, name="gemm_gpt2_attn"))
add(case("MatMul", [inp("A", F, [1, 4, 128, 32]), inp("B", F, [1, 4, 32, 128])], name="mm_llama_scores",
         tol=1e-4))
