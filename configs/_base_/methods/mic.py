# MIC (Hoyer et al., CVPR 2023, Sec. 3.2; the authors' configs/mic) as parts
# a self-training config adds:
#
#   model = dict(batch_steps=[teacher, masking, mix],
#                extra_losses=[pseudo_loss, mic_loss, ...],
#                domain_loss_weights=mic_domain_loss_weights)
#
# * masking: after the teacher, before the mixer: the target images,
#   colour-jittered and blurred as DACS (own draws; the authors'
#   mask_mode='separatetrgaug'), lose 70 % of their b x b patches and
#   become the domain 'masked', labelled with the teacher's pseudo labels of
#   the complete image and their quality weight (the authors' mask_alpha and
#   mask_pseudo_threshold 'same': DAFormer's teacher and threshold);
#   b = 64 on full-resolution crops (MIC(HRDA), the paper's Sec. 4.1), 32 on
#   the half-resolution 512 x 512 crops of DAFormer (the authors'
#   experiments.py, Table 1: "half the patch size when training with half
#   resolution"), which is what the configs/mic DAFormer configs use;
# * mic_loss: the weighted cross-entropy on the masked images; its
#   loss_weight is lambda^M = 1 (the authors' mask_lambda);
# * the masked domain has no plain cross-entropy (weight 0): mic_loss is its
#   loss.
masking = dict(type='MaskedImageConsistency', domain='target', out_domain='masked',
               block_size=32, mask_ratio=0.7, augment=True, jitter_strength=0.2,
               jitter_prob=0.8, blur=True, seed=0)
mic_loss = dict(type='PixelWeightedCELoss', domain='masked', loss_weight=1.0,
                loss_name='loss_masked')
mic_domain_loss_weights = dict(source=1.0, target=0.0, masked=0.0)
