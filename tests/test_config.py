import pytest

from training.config import EXPERIMENTS_DIR, ConfigError, flat_params, load_config, parse_config


def test_every_experiment_file_loads():
    names = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml"))
    assert "baseline" in names
    for name in names:
        assert load_config(name).name == name


@pytest.mark.parametrize(
    "raw,message",
    [
        ({"name": "x", "learning_rate": 0.1}, "unknown key"),
        ({"name": "x", "data": {"tabel": "t.parquet"}}, "unknown key"),
        ({"name": "x", "seed": "0"}, "expected int"),
        ({"name": "x", "data": {"weak_weight": "2e-5"}}, "expected float"),
        ({"name": "x", "data": {"sources": "pan2024"}}, "list of strings"),
        ({"name": "x", "model": {"kind": "svm"}}, "unknown model kind"),
        ({"name": "x", "model": {"params": {"C": "high"}}}, "expected float"),
        ({"name": "x", "model": {"params": {"alpha": 1.0}}}, "unknown key 'alpha'"),
        ({"name": "x", "calibration": "platt"}, "not one of"),
        ({"name": "x", "min_precision": 1.5}, "min_precision"),
        ({"name": "x", "data": {"read_label_mix": 1.5}}, "read_label_mix"),
        ({"name": "x", "data": {"hard_negative_weight": -1.0}}, "hard_negative_weight must be >= 0"),
        ({"name": "x", "data": {"labels": "mapped", "hard_negative_weight": 2.0}}, "hard_negative_weight needs"),
    ],
)
def test_bad_configs_are_rejected(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(raw)


def test_ints_are_accepted_for_floats_and_config_is_frozen():
    config = parse_config({"name": "x", "data": {"weak_weight": 1}, "model": {"params": {"C": 2}}})
    assert config.data.weak_weight == 1.0
    with pytest.raises(AttributeError):
        config.seed = 3  # frozen
    assert flat_params(config)["model.params.C"] == "2"


def test_file_name_must_match(tmp_path):
    path = tmp_path / "one.yaml"
    path.write_text("name: two\n")
    with pytest.raises(ConfigError, match="must match"):
        load_config(str(path))


def test_train_names_the_known_experiments_in_one_line_for_a_mistyped_one(capsys):
    from training import train

    assert train.main(["--exp", "basline"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no experiment 'basline'" in err[0] and "baseline" in err[0].split("known:")[1]
