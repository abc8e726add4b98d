"""Weekly retraining of latent-digits on a Spark cluster, from Apache Airflow 2.x.

fetch_data >> train_vae >> encode >> train_classifier >> train_gan >> sample_gan >> score_gan >> publish_vae >> publish_gan

Every task is one `spark-submit` of the project's uber jar (SparkSubmitOperator, apache-airflow-providers-apache-spark),
with the same arguments `./submit.sh retrain` runs in its order (src/test/.../RetrainDagTest checks this with Python's ast).
Run directories are keyed by the logical date, so a rerun of a date finds its own output: a finished step is a no-op,
an interrupted one continues from its last finished epoch, a retry never redoes or loses finished work. Training
starts from the last published model (MODELS/vae/latest, MODELS/gan/latest), and a model is published, and `latest`
moved to it, only if it passes its quality gate (exit code 4 otherwise: the task fails, `latest` stays).

Deploy: copy this file to the DAGs folder; put target/latent-digits-spark.jar and conf/spark-defaults.conf where the
Airflow workers can read them (or a jar on HDFS); create the Spark connection (`spark_default`: host
spark://MASTER:7077, or yarn, or k8s://...); set the params below, in the UI or `airflow dags trigger --conf`.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JAR = "/opt/latent-digits/latent-digits-spark.jar"
SPARK_DEFAULTS = "/opt/latent-digits/conf/spark-defaults.conf"
CONN_ID = "spark_default"

default_args = {
    "owner": "latent-digits",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
}

with DAG(
    dag_id="latent_digits_retrain",
    description="Retrain the VAE and the GAN on Spark, judge them, publish them behind quality gates",
    schedule="@weekly",
    start_date=datetime(2026, 12, 7),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params={
        "data": Param("hdfs:///data/mnist", type="string", description="MNIST (fetched and verified if missing)"),
        "runs": Param("hdfs:///latent-digits/runs", type="string", description="run directories: RUNS/<ds>/..."),
        "models": Param("hdfs:///latent-digits/models", type="string", description="published models: MODELS/{vae,gan}/<ds>, latest"),
        "epochs": Param(40, type="integer", minimum=1, description="VAE epochs"),
        "gan_epochs": Param(30, type="integer", minimum=1, description="GAN epochs (warm-started from the last published GAN)"),
        "train_limit": Param(0, type="integer", minimum=0, description="training images per step, 0 = all"),
        "validation": Param(5000, type="integer", minimum=1, description="of those, held out for validation"),
        "max_nelbo": Param(150.0, type="number", description="gate: publish the VAE only if its validation NELBO is at most this"),
        "max_fid": Param(60.0, type="number", description="gate: publish the GAN only if its samples' Frechet distance is at most this"),
    },
    tags=["latent-digits", "spark"],
) as dag:

    def spark_job(task_id, java_class, application_args):
        return SparkSubmitOperator(
            task_id=task_id,
            application=JAR,
            java_class=java_class,
            application_args=application_args,
            conn_id=CONN_ID,
            properties_file=SPARK_DEFAULTS,
            conf={"spark.latentdigits.executorWait": "300s"},
            name="latent-digits-" + task_id,
        )

    fetch_data = spark_job("fetch_data", "latentdigits.jobs.FetchDataJob", ["--dest", "{{ params.data }}"])
    train_vae = spark_job("train_vae", "latentdigits.jobs.TrainVaeJob", [
        "--data", "{{ params.data }}", "--out", "{{ params.runs }}/{{ ds }}/vae", "--epochs", "{{ params.epochs }}",
        "--train-limit", "{{ params.train_limit }}", "--validation", "{{ params.validation }}", "--init-from", "{{ params.models }}/vae/latest"])
    encode = spark_job("encode", "latentdigits.jobs.EncodeJob", [
        "--data", "{{ params.data }}", "--model", "{{ params.runs }}/{{ ds }}/vae/model.zip", "--out", "{{ params.runs }}/{{ ds }}/vae-encoded"])
    train_classifier = spark_job("train_classifier", "latentdigits.jobs.TrainClassifierJob", [
        "--data", "{{ params.data }}", "--out", "{{ params.runs }}/{{ ds }}/classifier", "--train-limit", "{{ params.train_limit }}",
        "--validation", "{{ params.validation }}"])
    train_gan = spark_job("train_gan", "latentdigits.jobs.TrainGanJob", [
        "--data", "{{ params.data }}", "--out", "{{ params.runs }}/{{ ds }}/gan", "--epochs", "{{ params.gan_epochs }}",
        "--train-limit", "{{ params.train_limit }}", "--init-from", "{{ params.models }}/gan/latest"])
    sample_gan = spark_job("sample_gan", "latentdigits.jobs.SampleJob", [
        "--model", "{{ params.runs }}/{{ ds }}/gan/model.zip", "--n", "10000", "--out", "{{ params.runs }}/{{ ds }}/gan-samples.idx"])
    score_gan = spark_job("score_gan", "latentdigits.jobs.ScoreJob", [
        "--classifier", "{{ params.runs }}/{{ ds }}/classifier/model.zip", "--samples", "{{ params.runs }}/{{ ds }}/gan-samples.idx",
        "--data", "{{ params.data }}"])
    publish_vae = spark_job("publish_vae", "latentdigits.jobs.PublishJob", [
        "--run", "{{ params.runs }}/{{ ds }}/vae", "--to", "{{ params.models }}/vae", "--version", "{{ ds }}",
        "--max-nelbo", "{{ params.max_nelbo }}"])
    publish_gan = spark_job("publish_gan", "latentdigits.jobs.PublishJob", [
        "--run", "{{ params.runs }}/{{ ds }}/gan", "--to", "{{ params.models }}/gan", "--version", "{{ ds }}",
        "--max-fid", "{{ params.max_fid }}", "--classifier", "{{ params.runs }}/{{ ds }}/classifier/model.zip", "--data", "{{ params.data }}"])

    fetch_data >> train_vae >> encode >> train_classifier >> train_gan >> sample_gan >> score_gan >> publish_vae >> publish_gan
