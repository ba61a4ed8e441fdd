# Proxmox VMs written one by one with count-free resources: an HA
# database VM with its size, a plain VM without hastate, and a VM whose
# node comes from a variable without a default.
variable "db_node" {
  type = string
}

resource "proxmox_vm_qemu" "db" {
  name        = "pg-primary"
  target_node = "pve-a"
  cores       = 2
  sockets     = 2
  memory      = 8192
  hastate     = "started"
  hagroup     = "prefer-a"
}

resource "proxmox_vm_qemu" "build" {
  name        = "ci-runner"
  target_node = "pve-b"
  cores       = 4
  memory      = 4096
}

resource "proxmox_vm_qemu" "replica" {
  name        = "pg-replica"
  target_node = var.db_node
  hastate     = "started"
}

resource "proxmox_lxc" "dns" {
  hostname    = "dns"
  target_node = "pve-a"
}
