"""C versions of the 30 PolyBench kernels, written with the same loops as examples/polybench.

Each kernel is a C99 function over fixed-size arrays; the dimensions are ``#define``d from the
PolyBench preset before the function, so gcc sees the same compile-time sizes the Allo build
sees. Scalars are ``float``, arrays ``float`` (``int`` for floyd-warshall and nussinov), in the
argument order of the Allo kernel. ``c_source(name, dims)`` gives a complete translation unit
whose entry point is ``kernel``.

>>> "kernel(" in c_source("gemm", {"NI": 4, "NJ": 5, "NK": 6})
True
"""

from __future__ import annotations

_PRELUDE = """
#include <math.h>
#define R restrict
static inline float min_f(float a, float b) { return a < b ? a : b; }
static inline int min_i(int a, int b) { return a < b ? a : b; }
static inline int max_i(int a, int b) { return a > b ? a : b; }
"""

C_KERNELS: dict[str, str] = {
    "gemm": """
void kernel(float alpha, float beta, float C[R NI][NJ], float A[R NI][NK], float B[R NK][NJ]) {
  for (int i = 0; i < NI; i++) {
    for (int j = 0; j < NJ; j++) C[i][j] *= beta;
    for (int k = 0; k < NK; k++)
      for (int j = 0; j < NJ; j++) C[i][j] += alpha * A[i][k] * B[k][j];
  }
}""",
    "gemver": """
void kernel(float alpha, float beta, float A[R N][N], float u1[R N], float v1[R N],
            float u2[R N], float v2[R N], float w[R N], float x[R N], float y[R N],
            float z[R N]) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) A[i][j] = A[i][j] + u1[i] * v1[j] + u2[i] * v2[j];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) x[i] = x[i] + beta * A[j][i] * y[j];
  for (int i = 0; i < N; i++) x[i] = x[i] + z[i];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) w[i] = w[i] + alpha * A[i][j] * x[j];
}""",
    "gesummv": """
void kernel(float alpha, float beta, float A[R N][N], float B[R N][N], float tmp[R N],
            float x[R N], float y[R N]) {
  for (int i = 0; i < N; i++) {
    tmp[i] = 0.0f; y[i] = 0.0f;
    for (int j = 0; j < N; j++) {
      tmp[i] = A[i][j] * x[j] + tmp[i];
      y[i] = B[i][j] * x[j] + y[i];
    }
    y[i] = alpha * tmp[i] + beta * y[i];
  }
}""",
    "symm": """
void kernel(float alpha, float beta, float C[R M][N], float A[R M][M], float B[R M][N]) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float temp2 = 0.0f;
      for (int k = 0; k < i; k++) {
        C[k][j] += alpha * B[i][j] * A[i][k];
        temp2 += B[k][j] * A[i][k];
      }
      C[i][j] = beta * C[i][j] + alpha * B[i][j] * A[i][i] + alpha * temp2;
    }
}""",
    "syr2k": """
void kernel(float alpha, float beta, float C[R N][N], float A[R N][M], float B[R N][M]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j <= i; j++) C[i][j] *= beta;
    for (int k = 0; k < M; k++)
      for (int j = 0; j <= i; j++)
        C[i][j] += A[j][k] * alpha * B[i][k] + B[j][k] * alpha * A[i][k];
  }
}""",
    "syrk": """
void kernel(float alpha, float beta, float C[R N][N], float A[R N][M]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j <= i; j++) C[i][j] *= beta;
    for (int k = 0; k < M; k++)
      for (int j = 0; j <= i; j++) C[i][j] += alpha * A[i][k] * A[j][k];
  }
}""",
    "trmm": """
void kernel(float alpha, float A[R M][M], float B[R M][N]) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      for (int k = i + 1; k < M; k++) B[i][j] += A[k][i] * B[k][j];
      B[i][j] = alpha * B[i][j];
    }
}""",
    "2mm": """
void kernel(float alpha, float beta, float tmp[R NI][NJ], float A[R NI][NK], float B[R NK][NJ],
            float C[R NJ][NL], float D[R NI][NL]) {
  for (int i = 0; i < NI; i++)
    for (int j = 0; j < NJ; j++) {
      tmp[i][j] *= 0.0f;
      for (int k = 0; k < NK; k++) tmp[i][j] += alpha * A[i][k] * B[k][j];
    }
  for (int i = 0; i < NI; i++)
    for (int j = 0; j < NL; j++) {
      D[i][j] *= beta;
      for (int k = 0; k < NJ; k++) D[i][j] += 1.0f * tmp[i][k] * C[k][j];
    }
}""",
    "3mm": """
void kernel(float E[R NI][NJ], float A[R NI][NK], float B[R NK][NJ], float F[R NJ][NL],
            float C[R NJ][NM], float D[R NM][NL], float G[R NI][NL]) {
  for (int i = 0; i < NI; i++)
    for (int j = 0; j < NJ; j++) {
      E[i][j] *= 0.0f;
      for (int k = 0; k < NK; k++) E[i][j] += 1.0f * A[i][k] * B[k][j];
    }
  for (int i = 0; i < NJ; i++)
    for (int j = 0; j < NL; j++) {
      F[i][j] *= 0.0f;
      for (int k = 0; k < NM; k++) F[i][j] += 1.0f * C[i][k] * D[k][j];
    }
  for (int i = 0; i < NI; i++)
    for (int j = 0; j < NL; j++) {
      G[i][j] *= 0.0f;
      for (int k = 0; k < NJ; k++) G[i][j] += 1.0f * E[i][k] * F[k][j];
    }
}""",
    "atax": """
void kernel(float A[R M][N], float x[R N], float y[R N], float tmp[R M]) {
  for (int i = 0; i < N; i++) y[i] = 0.0f;
  for (int i = 0; i < M; i++) {
    tmp[i] = 0.0f;
    for (int j = 0; j < N; j++) tmp[i] = tmp[i] + A[i][j] * x[j];
    for (int j = 0; j < N; j++) y[j] = y[j] + A[i][j] * tmp[i];
  }
}""",
    "bicg": """
void kernel(float A[R N][M], float s[R M], float q[R N], float p[R M], float r[R N]) {
  for (int i = 0; i < M; i++) s[i] = 0.0f;
  for (int i = 0; i < N; i++) {
    q[i] = 0.0f;
    for (int j = 0; j < M; j++) {
      s[j] = s[j] + r[i] * A[i][j];
      q[i] = q[i] + A[i][j] * p[j];
    }
  }
}""",
    "doitgen": """
void kernel(float A[R NR][NQ][NP], float C4[R NP][NP]) {
  float acc[NP];
  for (int r = 0; r < NR; r++)
    for (int q = 0; q < NQ; q++) {
      for (int p = 0; p < NP; p++) {
        acc[p] = 0.0f;
        for (int s = 0; s < NP; s++) acc[p] += A[r][q][s] * C4[s][p];
      }
      for (int p = 0; p < NP; p++) A[r][q][p] = acc[p];
    }
}""",
    "mvt": """
void kernel(float x1[R N], float x2[R N], float y_1[R N], float y_2[R N], float A[R N][N]) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) x1[i] = x1[i] + A[i][j] * y_1[j];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) x2[i] = x2[i] + A[j][i] * y_2[j];
}""",
    "cholesky": """
void kernel(float A[R N][N]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < i; j++) {
      for (int k = 0; k < j; k++) A[i][j] -= A[i][k] * A[j][k];
      A[i][j] /= A[j][j];
    }
    for (int k = 0; k < i; k++) A[i][i] -= A[i][k] * A[i][k];
    A[i][i] = sqrtf(A[i][i]);
  }
}""",
    "durbin": """
void kernel(float r[R N], float y[R N]) {
  float z[N];
  for (int i = 0; i < N; i++) z[i] = 0.0f;
  y[0] = -r[0];
  float beta = 1.0f, alpha = -r[0];
  for (int k = 1; k < N; k++) {
    beta = (1.0f - alpha * alpha) * beta;
    float sum = 0.0f;
    for (int i = 0; i < k; i++) sum += r[k - i - 1] * y[i];
    alpha = -(r[k] + sum) / beta;
    for (int i = 0; i < k; i++) z[i] = y[i] + alpha * y[k - i - 1];
    for (int i = 0; i < k; i++) y[i] = z[i];
    y[k] = alpha;
  }
}""",
    "gramschmidt": """
void kernel(float A[R M][N], float Rm[R N][N], float Q[R M][N]) {
  for (int k = 0; k < N; k++) {
    float nrm = 0.0f;
    for (int i = 0; i < M; i++) nrm += A[i][k] * A[i][k];
    Rm[k][k] = sqrtf(nrm);
    for (int i = 0; i < M; i++) Q[i][k] = A[i][k] / Rm[k][k];
    for (int j = k + 1; j < N; j++) {
      Rm[k][j] = 0.0f;
      for (int i = 0; i < M; i++) Rm[k][j] += Q[i][k] * A[i][j];
      for (int i = 0; i < M; i++) A[i][j] = A[i][j] - Q[i][k] * Rm[k][j];
    }
  }
}""",
    "lu": """
void kernel(float A[R N][N]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < i; j++) {
      for (int k = 0; k < j; k++) A[i][j] -= A[i][k] * A[k][j];
      A[i][j] /= A[j][j];
    }
    for (int j = i; j < N; j++)
      for (int k = 0; k < i; k++) A[i][j] -= A[i][k] * A[k][j];
  }
}""",
    "ludcmp": """
void kernel(float A[R N][N], float b[R N], float x[R N], float y[R N]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < i; j++) {
      float w = A[i][j];
      for (int k = 0; k < j; k++) w -= A[i][k] * A[k][j];
      A[i][j] = w / A[j][j];
    }
    for (int j = i; j < N; j++) {
      float w = A[i][j];
      for (int k = 0; k < i; k++) w -= A[i][k] * A[k][j];
      A[i][j] = w;
    }
  }
  for (int i = 0; i < N; i++) {
    float w = b[i];
    for (int j = 0; j < i; j++) w -= A[i][j] * y[j];
    y[i] = w;
  }
  for (int i = N - 1; i >= 0; i--) {
    float w = y[i];
    for (int j = i + 1; j < N; j++) w -= A[i][j] * x[j];
    x[i] = w / A[i][i];
  }
}""",
    "trisolv": """
void kernel(float L[R N][N], float x[R N], float b[R N]) {
  for (int i = 0; i < N; i++) {
    x[i] = b[i];
    for (int j = 0; j < i; j++) x[i] -= L[i][j] * x[j];
    x[i] = x[i] / L[i][i];
  }
}""",
    "correlation": """
void kernel(float float_n, float data[R N][M], float corr[R M][M], float mean[R M],
            float stddev[R M]) {
  float eps = 0.1f;
  for (int j = 0; j < M; j++) { mean[j] = 0.0f; stddev[j] = 0.0f; }
  for (int j = 0; j < M; j++)
    for (int i = 0; i < N; i++) mean[j] += data[i][j];
  for (int j = 0; j < M; j++) mean[j] /= float_n;
  for (int j = 0; j < M; j++)
    for (int i = 0; i < N; i++)
      stddev[j] += (data[i][j] - mean[j]) * (data[i][j] - mean[j]);
  for (int j = 0; j < M; j++) {
    stddev[j] = sqrtf(stddev[j] / float_n);
    stddev[j] = stddev[j] <= eps ? 1.0f : stddev[j];
  }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++) {
      data[i][j] -= mean[j];
      data[i][j] /= sqrtf(float_n) * stddev[j];
    }
  for (int i = 0; i < M - 1; i++) {
    corr[i][i] = 1.0f;
    for (int j = i + 1; j < M; j++) {
      corr[i][j] = 0.0f;
      for (int k = 0; k < N; k++) corr[i][j] += data[k][i] * data[k][j];
      corr[j][i] = corr[i][j];
    }
  }
  corr[M - 1][M - 1] = 1.0f;
}""",
    "covariance": """
void kernel(float float_n, float data[R N][M], float cov[R M][M], float mean[R M]) {
  for (int j = 0; j < M; j++) mean[j] = 0.0f;
  for (int j = 0; j < M; j++)
    for (int i = 0; i < N; i++) mean[j] += data[i][j];
  for (int j = 0; j < M; j++) mean[j] /= float_n;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < M; j++) data[i][j] -= mean[j];
  for (int i = 0; i < M; i++)
    for (int j = i; j < M; j++) {
      cov[i][j] = 0.0f;
      for (int k = 0; k < N; k++) cov[i][j] += data[k][i] * data[k][j];
      cov[i][j] /= (float_n - 1.0f);
      cov[j][i] = cov[i][j];
    }
}""",
    "deriche": """
void kernel(float imgIn[R W][H], float imgOut[R W][H], float y1[R W][H], float y2[R W][H]) {
  for (int i = 0; i < W; i++) {
    float ym1 = 0.0f, ym2 = 0.0f, xm1 = 0.0f;
    for (int j = 0; j < H; j++) {
      y1[i][j] = A1 * imgIn[i][j] + A2 * xm1 + B1 * ym1 + B2 * ym2;
      xm1 = imgIn[i][j]; ym2 = ym1; ym1 = y1[i][j];
    }
  }
  for (int i = 0; i < W; i++) {
    float yp1 = 0.0f, yp2 = 0.0f, xp1 = 0.0f, xp2 = 0.0f;
    for (int j = H - 1; j >= 0; j--) {
      y2[i][j] = A3 * xp1 + A4 * xp2 + B1 * yp1 + B2 * yp2;
      xp2 = xp1; xp1 = imgIn[i][j]; yp2 = yp1; yp1 = y2[i][j];
    }
  }
  for (int i = 0; i < W; i++)
    for (int j = 0; j < H; j++) imgOut[i][j] = y1[i][j] + y2[i][j];
  for (int j = 0; j < H; j++) {
    float tm1 = 0.0f, ym1 = 0.0f, ym2 = 0.0f;
    for (int i = 0; i < W; i++) {
      y1[i][j] = A1 * imgOut[i][j] + A2 * tm1 + B1 * ym1 + B2 * ym2;
      tm1 = imgOut[i][j]; ym2 = ym1; ym1 = y1[i][j];
    }
  }
  for (int j = 0; j < H; j++) {
    float tp1 = 0.0f, tp2 = 0.0f, yp1 = 0.0f, yp2 = 0.0f;
    for (int i = W - 1; i >= 0; i--) {
      y2[i][j] = A3 * tp1 + A4 * tp2 + B1 * yp1 + B2 * yp2;
      tp2 = tp1; tp1 = imgOut[i][j]; yp2 = yp1; yp1 = y2[i][j];
    }
  }
  for (int i = 0; i < W; i++)
    for (int j = 0; j < H; j++) imgOut[i][j] = y1[i][j] + y2[i][j];
}""",
    "floyd-warshall": """
void kernel(int path[R N][N]) {
  for (int k = 0; k < N; k++)
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) path[i][j] = min_i(path[i][j], path[i][k] + path[k][j]);
}""",
    "nussinov": """
void kernel(int seq[R N], int table[R N][N]) {
  for (int i = N - 1; i >= 0; i--)
    for (int j = i + 1; j < N; j++) {
      if (j - 1 >= 0) table[i][j] = max_i(table[i][j], table[i][j - 1]);
      if (i + 1 < N) table[i][j] = max_i(table[i][j], table[i + 1][j]);
      if (j - 1 >= 0 && i + 1 < N) {
        if (i < j - 1)
          table[i][j] = max_i(table[i][j], table[i + 1][j - 1] + (seq[i] + seq[j] == 3));
        else
          table[i][j] = max_i(table[i][j], table[i + 1][j - 1]);
      }
      for (int k = i + 1; k < j; k++)
        table[i][j] = max_i(table[i][j], table[i][k] + table[k + 1][j]);
    }
}""",
    "adi": """
void kernel(float u[R N][N], float v[R N][N], float p[R N][N], float q[R N][N]) {
  float DX = 1.0f / N, DY = 1.0f / N, DT = 1.0f / TSTEPS;
  float mul1 = 2.0f * DT / (DX * DX), mul2 = 1.0f * DT / (DY * DY);
  float a = -mul1 / 2.0f, b = 1.0f + mul1, c = a, d = -mul2 / 2.0f, e = 1.0f + mul2, f = d;
  for (int t = 1; t <= TSTEPS; t++) {
    for (int i = 1; i < N - 1; i++) {
      v[0][i] = 1.0f; p[i][0] = 0.0f; q[i][0] = v[0][i];
      for (int j = 1; j < N - 1; j++) {
        p[i][j] = -c / (a * p[i][j - 1] + b);
        q[i][j] = (-d * u[j][i - 1] + (1.0f + 2.0f * d) * u[j][i] - f * u[j][i + 1]
                   - a * q[i][j - 1]) / (a * p[i][j - 1] + b);
      }
      v[N - 1][i] = 1.0f;
      for (int j = N - 2; j >= 1; j--) v[j][i] = p[i][j] * v[j + 1][i] + q[i][j];
    }
    for (int i = 1; i < N - 1; i++) {
      u[i][0] = 1.0f; p[i][0] = 0.0f; q[i][0] = u[i][0];
      for (int j = 1; j < N - 1; j++) {
        p[i][j] = -f / (d * p[i][j - 1] + e);
        q[i][j] = (-a * v[i - 1][j] + (1.0f + 2.0f * a) * v[i][j] - c * v[i + 1][j]
                   - d * q[i][j - 1]) / (d * p[i][j - 1] + e);
      }
      u[i][N - 1] = 1.0f;
      for (int j = N - 2; j >= 1; j--) u[i][j] = p[i][j] * u[i][j + 1] + q[i][j];
    }
  }
}""",
    "fdtd-2d": """
void kernel(float ex[R NX][NY], float ey[R NX][NY], float hz[R NX][NY], float fict[R TMAX]) {
  for (int t = 0; t < TMAX; t++) {
    for (int j = 0; j < NY; j++) ey[0][j] = fict[t];
    for (int i = 1; i < NX; i++)
      for (int j = 0; j < NY; j++) ey[i][j] = ey[i][j] - 0.5f * (hz[i][j] - hz[i - 1][j]);
    for (int i = 0; i < NX; i++)
      for (int j = 1; j < NY; j++) ex[i][j] = ex[i][j] - 0.5f * (hz[i][j] - hz[i][j - 1]);
    for (int i = 0; i < NX - 1; i++)
      for (int j = 0; j < NY - 1; j++)
        hz[i][j] = hz[i][j] - 0.7f * (ex[i][j + 1] - ex[i][j] + ey[i + 1][j] - ey[i][j]);
  }
}""",
    "heat-3d": """
void kernel(float A[R N][N][N], float B[R N][N][N]) {
  for (int t = 1; t <= TSTEPS; t++) {
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        for (int k = 1; k < N - 1; k++)
          B[i][j][k] = 0.125f * (A[i + 1][j][k] - 2.0f * A[i][j][k] + A[i - 1][j][k])
                     + 0.125f * (A[i][j + 1][k] - 2.0f * A[i][j][k] + A[i][j - 1][k])
                     + 0.125f * (A[i][j][k + 1] - 2.0f * A[i][j][k] + A[i][j][k - 1])
                     + A[i][j][k];
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        for (int k = 1; k < N - 1; k++)
          A[i][j][k] = 0.125f * (B[i + 1][j][k] - 2.0f * B[i][j][k] + B[i - 1][j][k])
                     + 0.125f * (B[i][j + 1][k] - 2.0f * B[i][j][k] + B[i][j - 1][k])
                     + 0.125f * (B[i][j][k + 1] - 2.0f * B[i][j][k] + B[i][j][k - 1])
                     + B[i][j][k];
  }
}""",
    "jacobi-1d": """
void kernel(float A[R N], float B[R N]) {
  for (int t = 0; t < TSTEPS; t++) {
    for (int i = 1; i < N - 1; i++) B[i] = 0.33333f * (A[i - 1] + A[i] + A[i + 1]);
    for (int i = 1; i < N - 1; i++) A[i] = 0.33333f * (B[i - 1] + B[i] + B[i + 1]);
  }
}""",
    "jacobi-2d": """
void kernel(float A[R N][N], float B[R N][N]) {
  for (int t = 0; t < TSTEPS; t++) {
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        B[i][j] = 0.2f * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i + 1][j] + A[i - 1][j]);
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        A[i][j] = 0.2f * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i + 1][j] + B[i - 1][j]);
  }
}""",
    "seidel-2d": """
void kernel(float A[R N][N]) {
  for (int t = 0; t < TSTEPS; t++)
    for (int i = 1; i <= N - 2; i++)
      for (int j = 1; j <= N - 2; j++)
        A[i][j] = (A[i - 1][j - 1] + A[i - 1][j] + A[i - 1][j + 1] + A[i][j - 1] + A[i][j]
                   + A[i][j + 1] + A[i + 1][j - 1] + A[i + 1][j] + A[i + 1][j + 1]) / 9.0f;
}""",
}


def c_source(name: str, dims: dict[str, int], constants: dict[str, float] | None = None) -> str:
    """A translation unit for kernel ``name``: the dimensions (and float ``constants``, such as
    deriche's filter coefficients) as macros, then the kernel function ``kernel``.

    >>> src = c_source("jacobi-1d", {"TSTEPS": 2, "N": 8})
    >>> "#define TSTEPS 2" in src and "void kernel(" in src
    True
    """
    lines = [f"#define {key} {value}" for key, value in dims.items()]
    lines += [f"#define {key} ((float){value!r})" for key, value in (constants or {}).items()]
    return "\n".join(lines) + _PRELUDE + C_KERNELS[name] + "\n"
