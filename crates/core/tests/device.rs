//! Adapter choice: parsing, the software adapter's identity, and clear errors.

mod common;

use oddeven_core::{DeviceChoice, Gpu, Tensor};

#[test]
fn device_choices_parse_and_bad_ones_explain() {
    assert_eq!("auto".parse::<DeviceChoice>().unwrap(), DeviceChoice::Auto);
    assert_eq!(
        "Hardware".parse::<DeviceChoice>().unwrap(),
        DeviceChoice::Hardware
    );
    assert_eq!(
        "software".parse::<DeviceChoice>().unwrap(),
        DeviceChoice::Software
    );
    assert_eq!("cpu".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cpu);
    assert_eq!(
        "lavapipe".parse::<DeviceChoice>().unwrap(),
        DeviceChoice::Software
    );
    let err = Gpu::new(DeviceChoice::Cpu).unwrap_err().to_string();
    assert!(err.contains("native CPU backend"), "{err}");
    let err = "quantum".parse::<DeviceChoice>().unwrap_err().to_string();
    assert!(
        err.contains("quantum") && err.contains("auto, hardware, software, cpu"),
        "{err}"
    );
}

/// In CI the software adapter must be Vulkan lavapipe, not a silent GL fallback.
#[test]
fn software_adapter_is_vulkan_cpu() {
    if common::gpu().is_none() {
        return;
    }
    match Gpu::new(DeviceChoice::Software) {
        Ok(gpu) => {
            let s = gpu.summary();
            assert_eq!(s.backend, "vulkan", "{s}");
            assert_eq!(s.device_type, "cpu", "{s}");
        }
        Err(e) => {
            // A machine with only a hardware GPU: the error must say how to get lavapipe.
            let msg = e.to_string();
            assert!(msg.contains("mesa-vulkan-drivers"), "{msg}");
        }
    }
}

#[test]
fn wrong_data_length_is_an_error() {
    let Some(gpu) = common::gpu() else { return };
    let t = Tensor::zeros(&gpu, &[2, 3], "t").unwrap();
    let err = t.write(&gpu, &[1.0; 5]).unwrap_err().to_string();
    assert!(
        err.contains("5 elements") && err.contains("[2, 3]"),
        "{err}"
    );
}

#[test]
fn oversized_tensor_is_an_error_not_a_panic() {
    let Some(gpu) = common::gpu() else { return };
    let too_many = (gpu.max_binding_bytes() / 4 + 1) as usize;
    let err = Tensor::zeros(&gpu, &[too_many], "huge")
        .unwrap_err()
        .to_string();
    assert!(err.contains("binding limit"), "{err}");
}
