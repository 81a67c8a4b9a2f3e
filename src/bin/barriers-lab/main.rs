//! `barriers-lab`: the lab's experiments on the command line, from the same parameters as
//! the pages (every `--key value` is the `key=value` of a page link).
//!
//! Exit status: 0 on success, 2 with a one-line message on bad arguments, 1 if something
//! else fails (an output file cannot be written, say).

mod args;
mod attack;
mod figures;
mod inexact;
mod instability;
mod kernel1d;
mod output;
mod recon;
mod stripes;
mod toy;
mod train;
mod train_recon;
mod universal;

use args::UsageError;
use std::process::ExitCode;

const USAGE: &str = "\
barriers-lab: the Barriers Lab experiments on the command line

USAGE:
    barriers-lab toy [--KEY VALUE]... [--params FILE] [--attack deepfool|fgsm] [--json] [--out DIR]
    barriers-lab train --data mnist|fashion|digits --model linear|mlp|cnn [--seed N] [--epochs N] [--out FILE] [--json]
    barriers-lab attack --data mnist --model mlp --attack deepfool --index 17 [--input FILE] [--model-file FILE] [--eps E] [--seed N] [--json] [--out DIR]
    barriers-lab ratios --data mnist --model mlp --n 100 [--seed N] [--json]
    barriers-lab universal --data mnist --model mlp [--xi 0.25] [--norm linf|l2] [--table] [--json] [--out DIR]
    barriers-lab dimension [--data mnist] [--n 200] [--json]
    barriers-lab recon --image colin27:75 --size 128 --mask variable-density --rate 0.25 --noise 0.01 --method firenet [--seed N] [--json] [--out DIR]
    barriers-lab train-recon [--steps N] [--seed N] [--out FILE] [--threads N] [--checkpoint STEP] [--json]
    barriers-lab instability --method net|firenet|tv|cs-wavelet|adjoint --image family:9001 --budget 0.03 --iters 100 [--model-file FILE] [--json] [--out DIR]
    barriers-lab samples [--rates 0.05,0.1,..] [--images N] [--json]
    barriers-lab tradeoff [--images N] [--attacked M] [--checkpoint FILE] [--json]
    barriers-lab inexact [--k 3] [--n 20] [--KEY VALUE]... [--table] [--json] [--out DIR]
    barriers-lab kernel1d --pairs on|off --delta 0.05 --seed 1 [--epochs 60] [--trace] [--sweep] [--json]
    barriers-lab stripes --background label|random [--a 0.2] [--seed N] [--epochs N] [--curve] [--json]
    barriers-lab figures --out DIR [--demo NAME]... [--scale S] [--link NAME=QUERY]...
    barriers-lab help [COMMAND]

toy: decision boundaries of a 2-D classifier, attacked by DeepFool and FGSM.
    Every key of the page's link is an option (--data moons --hidden 16,16 ...).
    --params FILE   start from a state file saved by the page (options given too override it)
    --attack NAME   report DeepFool (default) or FGSM from --point
    --json          print the metrics as one JSON object
    --out DIR       write decision.png and training.png into DIR

train: train an image classifier by its recipe and write a model file (default
    www/models/DATA-MODEL.blm); prints the test accuracy.

attack: one attack (random, fastgrad, fgsm, deepfool, deepfool-linf) on one test image, a
    drawing or an image file (--input: a PNG, or raw u8 or f32 pixels); --out writes the
    triptych (image, perturbation, perturbed image) and DeepFool's steps as PNG.

ratios: mean ||r||_2/||x||_2 and ||r||_inf of random noise, the fast gradient and DeepFool
    over the first N correctly classified test images.

universal: one perturbation that fools most images (Moosavi-Dezfooli et al. 2017), computed on
    training images; its fooling rate on the test images for every model (--table: computed
    on each model in turn, the transfer table) against random noise of the same size.

dimension: Goodfellow's linear argument: linear classifiers on the same digits at 8x8, 14x14,
    28x28 and 56x56 pixels; the smallest flipping l-inf step eps* = |f| / ||w||_1 and FGSM's.

recon: an MRI reconstruction (adjoint, cs-wavelet, tv, firenet) of a Colin27 slice, the
    Shepp-Logan phantom or an image file from simulated Fourier samples y = P F x + e; prints
    psnr, ssim, rel_error, rate, iterations, ms; --out writes the images as PNG.

train-recon: train the reconstruction network (by default the shipped recipe: a dense,
    AUTOMAP-like network at 32 x 32 on Colin27 slices with textured lesions at four sites; or a
    cascade of small CNNs with data consistency) at one sampling pattern and rate; writes a
    network file (default www/models/recon-net.brn) with its training log.

instability: the instability test of one method on one image at the network's setting:
    gradient ascent with momentum for the perturbation r (||r|| <= budget ||x||) it amplifies
    most; prints psnr_clean, r_over_x, err_clean, err_perturbed, err_gaussian, amplification
    and amplification_gaussian; --out writes the snapshots as PNG.

samples: more samples can hurt: mean PSNR of the network, FIRENET and TV on held-out images
    against the sampling rate, with nested masks of the network's pattern.

tradeoff: the stability-accuracy trade-off: for FIRENET with fewer or more restarts, TV and
    wavelet square-root LASSO with smaller or larger lambda and the network (and --checkpoint),
    mean PSNR on clean held-out images against the worst amplification found.

inexact: the barrier of inexact input (Colbrook, Antun, Hansen, PNAS 2022, Theorem 2): for
    K digits and an input known to 2^-n, two exact square-root LASSO problems 2^-n apart
    whose minimisers are 3 10^-K apart; FIRENET, a long Chambolle-Pock run and a trained
    LISTA are given one and scored against the other. Prints a_dist, y_dist, minimiser_gap,
    each method's error and digits; --table: the nine cells K = 1, 3, 6 by n = 10, 20, 30.

kernel1d: the troublesome kernel in 1-D (Gottschling, Antun, Adcock, Hansen, SIAM Review
    2025): a network reconstructs piecewise cubic signals (N = 128) from 33 Fourier samples,
    trained with kernel-aware pairs (x and x + z, ||A z|| = delta ||z||) or without; the TV
    square-root LASSO beside it. Prints pair_accuracy (PSNR on held-out x + z), pair_error,
    psnr_test, amplification and amplification_tv (the instability test's worst case on 8
    held-out signals at ||r|| = delta ||z||), eta, bound = (||z|| - 2 eta) / (delta ||z||) and
    the Lipschitz ratios; --sweep: the amplification against delta.
stripes: false structures (Thesing, Antun, Hansen, arXiv:1906.01478): a CNN trained on 60
    32 x 32 images of one 3-pixel stripe, horizontal on a background of -a, vertical on +a
    (--background label, the paper's) or on a background sign independent of the label
    (--background random); --training rows draws every training stripe along rows, as the
    authors' code builds the set (test stripes stay genuinely vertical); prints
    train_accuracy, test_accuracy (fresh images, a drawn from [a/10, a]), false_set_accuracy
    (the same images with the background signs swapped) and its horizontal and vertical
    halves, and deepfool_r_over_x (mean ||r||/||x|| over the first 20 correctly classified
    test images).

figures: every demo's default figure as a poster (DIR/NAME.png, at scale 2 by default) and
    its numbers (DIR/NAME.json, DIR/NAME.csv), computed from the shipped data and models as the
    pages compute them; --link NAME=QUERY draws a demo at a page link's state. Demos: toy,
    attacks, universal, dimension, mri, unstable, inexact.

Run `barriers-lab help COMMAND` for every option of a command, with ranges and defaults.

EXAMPLE:
    barriers-lab toy --data moons --model mlp --hidden 16,16 --seed 7 --epochs 300 \\
        --point 0.5,0.25 --attack deepfool --json
";

/// A command's outcome: a usage error (exit 2), another error (exit 1), or success.
type Outcome = Result<Result<(), String>, UsageError>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let wants_help = rest.iter().any(|a| a == "--help" || a == "-h");
    let help_for = |cmd: &str| -> Option<String> {
        match cmd {
            "toy" => Some(toy::help()),
            "train" => Some(train::help()),
            "attack" | "ratios" => Some(attack::help()),
            "universal" | "dimension" => Some(universal::help()),
            "recon" => Some(recon::help()),
            "train-recon" => Some(train_recon::help()),
            "instability" => Some(instability::help()),
            "samples" => Some(instability::samples_help()),
            "tradeoff" => Some(instability::tradeoff_help()),
            "figures" => Some(figures::help()),
            "inexact" => Some(inexact::help()),
            "kernel1d" => Some(kernel1d::help()),
            "stripes" => Some(stripes::help()),
            _ => None,
        }
    };
    let outcome: Outcome = match args.first().map(String::as_str) {
        Some(cmd) if wants_help && help_for(cmd).is_some() => {
            print!("{}", help_for(cmd).unwrap_or_default());
            return ExitCode::SUCCESS;
        }
        Some("toy") => toy::run(rest),
        Some("train") => train::run(rest),
        Some("attack") => attack::run_attack_cmd(rest),
        Some("ratios") => attack::run_ratios_cmd(rest),
        Some("universal") => universal::run_universal(rest),
        Some("dimension") => universal::run_dimension(rest),
        Some("recon") => recon::run(rest),
        Some("train-recon") => train_recon::run(rest),
        Some("instability") => instability::run(rest),
        Some("samples") => instability::run_samples(rest),
        Some("tradeoff") => instability::run_tradeoff(rest),
        Some("figures") => figures::run(rest),
        Some("inexact") => inexact::run(rest),
        Some("kernel1d") => kernel1d::run(rest),
        Some("stripes") => stripes::run(rest),
        Some("help") | Some("--help") | Some("-h") => {
            print!(
                "{}",
                rest.first()
                    .and_then(|c| help_for(c))
                    .unwrap_or_else(|| USAGE.to_owned())
            );
            return ExitCode::SUCCESS;
        }
        Some("--version") | Some("-V") => {
            println!("barriers-lab {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(UsageError(format!("unknown command '{other}'"))),
        None => Err(UsageError("no command given".into())),
    };
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(msg)) => {
            eprintln!("barriers-lab: {msg}");
            ExitCode::from(1)
        }
        Err(UsageError(msg)) => {
            eprintln!("barriers-lab: {msg} (see barriers-lab --help)");
            ExitCode::from(2)
        }
    }
}
