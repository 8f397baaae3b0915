"""PyTorch models built from torch.nn for the frontend tests and benchmarks (no downloads).

Imported only where torch is installed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """Two linear layers with a ReLU between them."""

    def __init__(self, d_in=16, d_hidden=32, d_out=8):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(d_hidden, d_out)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class SmallCNN(nn.Module):
    """conv → batchnorm → relu → maxpool → conv → relu → avgpool → flatten → linear."""

    def __init__(self, channels=3, classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 4, 3, stride=1, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.pool2 = nn.AvgPool2d(2)
        self.fc = nn.Linear(6 * 2 * 2, classes)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc(x)


class MultiHeadSelfAttention(nn.Module):
    """Self-attention written with linear layers, view/transpose, matmul and softmax."""

    def __init__(self, hidden=64, heads=4):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)

    def split_heads(self, x):
        batch, seq, _ = x.shape
        return x.view(batch, seq, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x):
        batch, seq, hidden = x.shape
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = F.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return self.out(context.view(batch, seq, hidden))


class BertLayer(nn.Module):
    """A BERT encoder layer: attention, projection + residual + layernorm, GELU FFN."""

    def __init__(self, hidden=64, heads=4, ffn=256, eps=1e-12):
        super().__init__()
        self.attention = MultiHeadSelfAttention(hidden, heads)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(0.1)
        self.intermediate = nn.Linear(hidden, ffn)
        self.act = nn.GELU()
        self.output = nn.Linear(ffn, hidden)
        self.out_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x):
        h = self.attn_norm(x + self.dropout(self.attention(x)))
        ffn = self.output(self.act(self.intermediate(h)))
        return self.out_norm(h + self.dropout(ffn))


class GPT2Block(nn.Module):
    """A GPT-2 block: pre-layernorm, causal self-attention (masked_fill with a tril buffer),
    tanh-GELU MLP, residuals."""

    def __init__(self, hidden=64, heads=4, max_len=32):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(hidden)
        self.c_attn = nn.Linear(hidden, 3 * hidden)
        self.c_proj = nn.Linear(hidden, hidden)
        self.ln_2 = nn.LayerNorm(hidden)
        self.c_fc = nn.Linear(hidden, 4 * hidden)
        self.gelu = nn.GELU(approximate="tanh")
        self.mlp_proj = nn.Linear(4 * hidden, hidden)
        self.register_buffer("bias", torch.tril(torch.ones(max_len, max_len)).view(
            1, 1, max_len, max_len))

    def attn(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(self.gelu(self.c_fc(self.ln_2(x))))


class GPT2BlockSDPA(GPT2Block):
    """The same block with ``F.scaled_dot_product_attention(..., is_causal=True)``."""

    def attn(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class ParticleTransformer(nn.Module):
    """Particle-transformer style classifier: per-particle features [B, F, N] normalised by
    BatchNorm1d, embedded by linear + GELU + layernorm, a class token repeated over the batch
    and concatenated, attention blocks, the class token's final state to class log-probs."""

    def __init__(self, features=4, particles=6, hidden=16, heads=2, classes=3, blocks=2):
        super().__init__()
        self.input_norm = nn.BatchNorm1d(features)
        self.embed = nn.Linear(features, hidden)
        self.embed_act = nn.GELU()
        self.embed_norm = nn.LayerNorm(hidden)
        self.cls_token = nn.Parameter(torch.randn(1, 1, hidden) * 0.1)
        self.blocks = nn.ModuleList(BertLayer(hidden, heads, 2 * hidden, eps=1e-5)
                                    for _ in range(blocks))
        self.final_norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, classes)

    def forward(self, features):
        x = self.input_norm(features).transpose(1, 2)          # [B, N, F]
        x = self.embed_norm(self.embed_act(self.embed(x)))     # [B, N, H]
        cls = self.cls_token.repeat(x.size(0), 1, 1)           # [B, 1, H]
        x = torch.cat([cls, x], dim=1)                         # [B, N + 1, H]
        for block in self.blocks:
            x = block(x)
        x = self.final_norm(x)[:, 0]                           # [B, H]
        return F.log_softmax(self.head(x), dim=-1)


class CoreAttention(nn.Module):
    """softmax(q·kᵀ/√d)·v, written with operations a leaf keeps opaque (``leaf_modules``)."""

    def __init__(self, is_causal=False):
        super().__init__()
        self.is_causal = is_causal

    def forward(self, q, k, v):
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
        if self.is_causal:
            T = q.size(-2)
            att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1),
                                  float("-inf"))
        return F.softmax(att, dim=-1) @ v


class KVCache(nn.Module):
    """Cached keys/values of earlier positions followed by the new ones."""

    def __init__(self, batch, heads, cached, head_dim):
        super().__init__()
        gen = torch.Generator().manual_seed(3)
        self.register_buffer("k_cache", torch.randn(batch, heads, cached, head_dim, generator=gen))
        self.register_buffer("v_cache", torch.randn(batch, heads, cached, head_dim, generator=gen))

    def forward(self, k, v):
        return torch.cat([self.k_cache, k], dim=-2), torch.cat([self.v_cache, v], dim=-2)


class SliceClsToken(nn.Module):
    def forward(self, x):
        return x[:, 0]


class CachedDecoderAttention(nn.Module):
    """Decoder attention over a KV cache; the class token's output to logits. Built from the
    three leaf classes above."""

    def __init__(self, hidden=16, heads=2, cached=3, batch=1, classes=4, causal=False):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.cache = KVCache(batch, heads, cached, hidden // heads)
        self.core = CoreAttention(causal)
        self.cls = SliceClsToken()
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        k, v = self.cache(k, v)
        y = self.core(q, k, v).transpose(1, 2).contiguous().view(B, T, C)
        return self.head(self.cls(y))


LEAVES = [CoreAttention, KVCache, SliceClsToken]


def randomize_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give batch/layer norms non-trivial statistics and affine parameters (a fresh model has
    mean 0, variance 1, weight 1, bias 0, which would hide mistakes)."""
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
            module.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            with torch.no_grad():
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen) * 0.2 + 1)
                module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * 0.2)
    return model.eval()
