/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Load-aware latency model: recursive least squares with exponential
 * forgetting that fits latency = theta0 + sum(theta_i * x_i) over a few load
 * features, for several latency targets at once (they share the features, so
 * they share the gain and the covariance, and each adds only its own theta).
 * Features are normalised online; the fit is re-expressed exactly whenever the
 * normalisation moves, so the coefficients keep their meaning.
 */
#ifndef TT_MODEL_H
#define TT_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define MODEL_MAX_X 5		      /* load features, not counting the intercept */
#define MODEL_MAX_K (MODEL_MAX_X + 1) /* coefficients, with the intercept */
#define MODEL_OUTS 2		      /* latency targets: mean and p99 */
#define MODEL_LOW_BLOCK 512	      /* samples a block of ylow, about the fit's memory */

struct model_config {
	double lambda;	     /* forgetting factor per sample, < 1 */
	double p0;	     /* initial covariance diagonal, normalised units */
	double p_max;	     /* bound on every covariance diagonal */
	double norm_alpha;   /* EWMA weight of the feature normalisation */
	double resid_alpha;  /* EWMA weight of the robust residual scale */
	double bias_alpha;   /* ... of the residuals' running mean it is taken about */
	double huber_k;	     /* residuals clipped at k scales before they update */
	double reject_z;     /* a sample this many scales too slow teaches nothing; 0: off */
	double min_rel_scale; /* residual scale floor, fraction of the prediction */
	double min_abs_scale; /* residual scale floor, in the target's unit */
	uint32_t warmup;     /* samples before the model's verdicts count */
	uint32_t settle;     /* samples past a hold still held, with no verdicts */
};

/* What one sample looked like to the model before it learnt from it. */
struct model_pred {
	double expected[MODEL_OUTS]; /* prediction from the features, never below the
				      * fastest latency of the last MODEL_LOW_BLOCK samples */
	double z[MODEL_OUTS];	     /* (observed - expected) / robust scale */
	bool ready;		     /* past warm-up */
	bool settling;		     /* just past a hold: no verdicts yet */
};

struct model {
	double P[MODEL_MAX_K][MODEL_MAX_K];	 /* covariance, normalised units */
	double theta[MODEL_OUTS][MODEL_MAX_K];	 /* coefficients, normalised units */
	double center[MODEL_MAX_X];		 /* normalisation in force */
	double scale[MODEL_MAX_X];
	double mean[MODEL_MAX_X];		 /* running feature mean */
	double dev[MODEL_MAX_X];		 /* running mean absolute deviation */
	double rscale[MODEL_OUTS];		 /* mean |residual - rbias|, standardised */
	double rbias[MODEL_OUTS];		 /* running mean of standardised residuals */
	double ss_res[MODEL_OUTS];		 /* discounted squared residuals, for R^2 */
	double ss_tot[MODEL_OUTS];		 /* discounted squared deviations of y */
	double ymean[MODEL_OUTS];		 /* discounted mean of y */
	double held[MODEL_OUTS];		 /* sum of residuals while held */
	float ylow[MODEL_OUTS][2];		 /* fastest y learnt: this block, the one before */
	uint32_t n;				 /* samples since the last (re)start */
	uint32_t resets;			 /* times the fit degenerated */
	uint32_t n_held;			 /* samples in held */
	uint8_t nx;				 /* features in use */
	uint8_t hold;				 /* predict only: an anomaly is in progress */
	uint16_t settle;			 /* samples of the hold left past its end */
	uint16_t nlow;				 /* samples learnt in ylow's block */
};

/* Sets the defaults. */
void model__default_config(struct model_config *cfg);

/* Starts an empty model over nx load features (nx <= MODEL_MAX_X). */
void model__init(struct model *m, unsigned nx);

/* Predicts y from x (nx raw features), then learns from the sample. Returns 0,
 * 1 when the fit had degenerated and was restarted (the caller reports it), or
 * -EINVAL for non-finite input, which is ignored. */
int model__update(struct model *m, const struct model_config *cfg, const double *x,
		  const double *y, struct model_pred *pred);

/* While hold is set, model__update predicts and scores but learns nothing
 * (an anomaly in progress is not the new normal) and sums the residuals.
 * Clearing it drops the sums and starts cfg->settle samples of settling:
 * the recovery is not learnt either, and no verdict counts in it. */
void model__hold(struct model *m, const struct model_config *cfg, bool hold);

/* Adopts what the held samples showed: shifts each intercept by the mean
 * residual since the hold began (a lasting change of level, confirmed) and
 * restarts the sums. Does nothing without held samples. */
void model__adopt(struct model *m);

/* Coefficients in the features' own units: coef[0] is the intercept,
 * coef[1 + i] multiplies raw feature i. */
void model__coef(const struct model *m, unsigned out, double *coef);

/* Share of y's discounted variance the fit explains, clamped to [0,1]. */
double model__r2(const struct model *m, unsigned out);

#endif /* TT_MODEL_H */
