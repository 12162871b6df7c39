# ADA-MCU on the synthetic benchmark (small target images, 300 iterations):
# 5 % of the target pixels and the base's other settings, with a sampling
# rate and a pi_high decay that fit a short schedule. Our choices, not the
# paper's:
# - a synthetic "target epoch" is a few iterations, so pi_high decays per
#   iteration with r = 0.98 (it reaches pi_low = 0.1 after ~115 iterations);
# - 1024 pixels per group, image and iteration (128x256 crops: 32k pixels):
#   5 % of a 300-image target is 491k pixels, spent in 600 image visits.
_base_ = ['./ada_mcu.py']
ada_mcu_acquisition = dict(budget=dict(type='ratio', value=0.05), samples_per_image=1024,
                           decay_every='iter', decay=0.98)
